"""The sanity checks: is the model (and the data it saw) fit to ship? Each check is recorded with
its value, threshold and verdict in reports/sanity.json; the gate fails the run on any failure.

Classification:
  - the test split is large enough (for the data's size and classes) and every class appears in
    train and test;
  - predicted probabilities lie within [0, 1] and each row sums to 1;
  - each class's mean predicted probability is within a tolerance of its share in the test data
    (calibration in the large: the model's probabilities agree with how often each class occurs),
    the tolerance scaled to the class's size and the sampling noise of the test split;
  - each class is told apart from the others better than chance: its one-vs-rest ROC AUC lies
    above 0.5 by more than a useless model's AUC varies on the test rows. A model that gives every
    row the same probabilities (the class prior, or one class for everything) fails here, and one
    whose probabilities are reversed or swapped between classes fails both;
  - cross-validation folds agree: a fold far from the others means unstable training or data.

Why not compare the share of rows predicted as each class (the most probable class) with the
class's share: a sound model of an imbalanced target rightly gives a minority class a probability
below 0.5 on most of its rows, so that share flakes with the split (scripts/class_share_trial.py
in the cookiecutter-cd4ml template measures both on public data sets).
Regression: finite predictions, within the target's observed range, small residual bias, better
than always predicting the mean, predictions that vary; cross-validation folds are scored by r2.
"""

import math

import numpy as np

from ..core.errors import PipelineError
from ..core.paths import DATA_PROFILE_FILE
from ..core.target import task_of


def check(name: str, value: float, threshold: float, passed: bool, detail: str) -> dict:
    """One sanity check's record in reports/sanity.json."""
    return {
        "name": name,
        "value": round(float(value), 6),
        "threshold": threshold,
        "passed": bool(passed),
        "detail": detail,
    }


def required_sanity_checks(profile: dict) -> list[str]:
    """The checks that sanity_check writes for data with this profile; the gate insists on each.

    A sanity file with fewer (hand-edited, or from an older pipeline) fails the gate.
    """
    if task_of(profile) == "regression":
        return [
            "test_rows",
            "predictions_finite",
            "predictions_in_range",
            "residual_bias",
            "beats_mean_baseline",
            "prediction_spread",
            "cv_fold_outlier",
        ]
    classes = profile.get("class_balance") if isinstance(profile, dict) else None
    if not isinstance(classes, dict) or not classes:
        raise PipelineError(f"{DATA_PROFILE_FILE} has no class_balance: rerun the pipeline (make repro)")
    return [
        "test_rows",
        "classes_in_both_splits",
        "probabilities_in_range",
        "probabilities_sum_to_one",
        *(f"class_share[{name}]" for name in classes),
        *(f"beats_chance[{name}]" for name in classes),
        "cv_fold_outlier",
    ]


def required_test_rows(total_rows: int, classes: int, sanity: dict) -> int:
    """The fewest test rows that still measure a model: min_test_rows, lowered on small data to
    min_test_rows_per_class per class (two "classes" for regression) or min_test_share of all rows,
    whichever is more. 340 rows, 3 classes: 34; 20 000 rows: 100."""
    per_class = sanity["min_test_rows_per_class"] * max(classes, 2)
    small_data = max(per_class, math.ceil(sanity["min_test_share"] * total_rows))
    return min(sanity["min_test_rows"], small_data)


def test_rows_check(train_rows: int, test_rows: int, classes: int, sanity: dict) -> dict:
    required = required_test_rows(train_rows + test_rows, classes, sanity)
    return check(
        "test_rows",
        test_rows,
        required,
        test_rows >= required,
        f"{test_rows} rows in the test split (minimum {required} for {train_rows + test_rows} rows"
        + (f", {classes} classes)" if classes else ")"),
    )


def data_checks(train_labels: np.ndarray, test_labels: np.ndarray, classes: list, sanity: dict) -> list[dict]:
    missing = [
        str(classes[index])
        for index in range(len(classes))
        if not ((train_labels == index).any() and (test_labels == index).any())
    ]
    return [
        test_rows_check(len(train_labels), len(test_labels), len(classes), sanity),
        check(
            "classes_in_both_splits",
            len(missing),
            0,
            not missing,
            "every class is in train and test" if not missing else f"classes missing from a split: {missing}",
        ),
    ]


def probability_checks(probabilities: np.ndarray, sanity: dict) -> list[dict]:
    finite = bool(np.isfinite(probabilities).all())  # NaN compares false to everything: check it first
    outside = max(0.0, -float(probabilities.min()), float(probabilities.max()) - 1.0) if finite else np.inf
    sum_error = float(np.abs(probabilities.sum(axis=1) - 1.0).max()) if finite else np.inf
    tolerance = sanity["probability_tolerance"]
    return [
        check(
            "probabilities_in_range",
            outside,
            0.0,
            outside == 0.0,
            f"probabilities span [{probabilities.min():.4f}, {probabilities.max():.4f}]",
        ),
        check(
            "probabilities_sum_to_one",
            sum_error,
            tolerance,
            sum_error <= tolerance,
            f"largest distance of a row's sum from 1: {sum_error:.2e}",
        ),
    ]


def class_share_tolerance(actual: float, rows: int, sanity: dict) -> float:
    """How far a class's mean predicted probability may lie from its actual share `actual` in `rows`
    test rows: a fraction of the class's own size (with 0.3, a 5 % class may be predicted at 3.5-6.5 %,
    a 50 % class at 35-65 %) plus the test split's sampling noise (binomial standard errors)."""
    noise = math.sqrt(actual * (1 - actual) / max(rows, 1))
    return sanity["class_share_relative_tolerance"] * actual + sanity["class_share_standard_errors"] * noise


def class_share_checks(labels: np.ndarray, probabilities: np.ndarray, classes: list, sanity: dict) -> list[dict]:
    """Calibration in the large: each class's mean predicted probability against its share of the test split."""
    checks = []
    for index, name in enumerate(classes):
        actual, predicted = float((labels == index).mean()), float(probabilities[:, index].mean())
        gap = abs(predicted - actual)
        tolerance = round(class_share_tolerance(actual, len(labels), sanity), 6)
        checks.append(
            check(
                f"class_share[{name}]",
                gap,
                tolerance,
                gap <= tolerance,
                f"mean predicted probability of {name!s} {predicted:.1%}, its share of the test split {actual:.1%}",
            )
        )
    return checks


def chance_auc_noise(positives: int, negatives: int) -> float:
    """The standard error of the ROC AUC of a model that cannot tell the classes apart, on this many
    rows of a class and of the rest (the Mann-Whitney statistic's: sqrt((n1 + n0 + 1) / (12 n1 n0)))."""
    return math.sqrt((positives + negatives + 1) / (12 * positives * negatives))


def beats_chance_checks(labels: np.ndarray, probabilities: np.ndarray, classes: list, sanity: dict) -> list[dict]:
    """Each class told apart from the rest better than chance: its one-vs-rest ROC AUC above 0.5 by more
    than chance_standard_errors standard errors of a useless model's AUC on the test rows (on 114 rows
    of which 42 are the class: 0.61 with 2; on 4 000 rows, 0.52). Equal probabilities score exactly 0.5."""
    # heavy (scipy): sanity-check alone scores; the gate and the report import this module for its rules
    from sklearn.metrics import roc_auc_score

    checks = []
    for index, name in enumerate(classes):
        is_class = labels == index
        positives, negatives = int(is_class.sum()), int((~is_class).sum())
        if not positives or not negatives or not np.isfinite(probabilities[:, index]).all():
            detail = (
                f"{name!s} is {'absent from' if not positives else 'the only class of'} the test split"
                if not positives or not negatives
                else f"the probabilities of {name!s} are not all finite numbers"
            )
            checks.append(check(f"beats_chance[{name}]", 0.5, 0.5, False, detail))
            continue
        auc = float(roc_auc_score(is_class, probabilities[:, index]))
        threshold = round(0.5 + sanity["chance_standard_errors"] * chance_auc_noise(positives, negatives), 6)
        checks.append(
            check(
                f"beats_chance[{name}]",
                auc,
                threshold,
                auc > threshold,
                f"ROC AUC of {name!s} against the other classes {auc:.4f}; a model that cannot tell them apart "
                f"scores 0.5 (reversed probabilities below it)",
            )
        )
    return checks


def fold_noise(train_rows: int, sanity: dict) -> float:
    """How far a fold's score may stray by chance alone: cv_noise_standard_errors standard errors of
    a score measured on one fold's rows, taking 0.5 / sqrt(rows), the largest standard error of a
    share, as that of ROC AUC or r2. 54 rows per fold (340 rows): 0.20; 10 000: 0.015."""
    fold_rows = max(min(train_rows, sanity["cv_max_rows"]) // sanity["cv_folds"], 1)
    return round(sanity["cv_noise_standard_errors"] * 0.5 / math.sqrt(fold_rows), 6)


def cv_fold_check(fold_scores: np.ndarray, max_deviation: float, noise: float = 0.0) -> dict:
    """A fold further from the median than max_deviation, or than chance allows on small folds
    (`noise`, from fold_noise), whichever is more, is an outlier."""
    allowed = max(max_deviation, noise)
    median = float(np.median(fold_scores))
    deviation = float(np.abs(fold_scores - median).max())
    worst = int(np.abs(fold_scores - median).argmax())
    return check(
        "cv_fold_outlier",
        deviation,
        allowed,
        deviation <= allowed,
        f"fold scores {np.round(fold_scores, 4).tolist()}; fold {worst + 1} is {deviation:.4f} "
        f"from the median {median:.4f}" + (" (allowed more on small folds)" if noise > max_deviation else ""),
    )


def regression_checks(actual: np.ndarray, predicted: np.ndarray, target: dict, settings: dict) -> list[dict]:
    """Checks on the test predictions. `target` is the data profile's target_summary (training split's
    min, max, mean, std); `settings` is params.yaml sanity.regression."""
    from sklearn.metrics import r2_score  # heavy (scipy): see beats_chance_checks

    finite = np.isfinite(predicted)
    span = max(target["max"] - target["min"], np.finfo(float).tiny)
    spread = max(target["std"], np.finfo(float).tiny)
    tolerance = settings["range_tolerance"]
    shown = predicted[finite] if finite.any() else np.array([np.nan])
    outside = max(0.0, target["min"] - float(shown.min()), float(shown.max()) - target["max"]) / span
    outside = outside if finite.all() else np.inf
    bias = abs(float(np.mean(actual - predicted))) / spread if finite.all() else np.inf
    r2 = float(r2_score(actual, predicted)) if finite.all() else -np.inf
    ratio = float(np.std(predicted)) / max(float(np.std(actual)), np.finfo(float).tiny) if finite.all() else 0.0
    return [
        check(
            "predictions_finite",
            int((~finite).sum()),
            0,
            finite.all(),
            f"{int((~finite).sum())} of {len(predicted)} predictions are NaN or infinite",
        ),
        check(
            "predictions_in_range",
            outside,
            tolerance,
            outside <= tolerance,
            f"predictions span [{float(shown.min()):.5g}, {float(shown.max()):.5g}]; training targets "
            f"[{target['min']:.5g}, {target['max']:.5g}] (allowed beyond by {tolerance:.0%} of that range)",
        ),
        check(
            "residual_bias",
            bias,
            settings["max_bias"],
            bias <= settings["max_bias"],
            f"mean residual is {bias:.3f} training standard deviations (at most {settings['max_bias']})",
        ),
        check(
            "beats_mean_baseline",
            r2,
            settings["min_r2"],
            r2 > settings["min_r2"],
            f"r2 {r2:.4f} on the test split; always predicting the mean scores about 0",
        ),
        check(
            "prediction_spread",
            ratio,
            settings["min_prediction_spread"],
            ratio >= settings["min_prediction_spread"],
            f"predictions vary {ratio:.3f} times as much as the actual values (a constant model: 0)",
        ),
    ]
