"""Stage 4, sanity-check: is the model (and the data it saw) fit to ship?

Checks, each recorded with its value, threshold and verdict in reports/sanity.json:
  - the test split is large enough (for the data's size and classes) and every class appears in
    train and test;
  - predicted probabilities lie within [0, 1] and each row sums to 1;
  - each class's share of the predictions is within a tolerance of its share in the test data,
    the tolerance scaled to the class's size and the sampling noise of the test split, and every
    class is predicted at least once (a model that predicts one class for everything fails here
    even with a fine accuracy);
  - cross-validation folds agree: a fold far from the others means unstable training or data.
For a regression target (the task preprocess decided), regression.py's checks replace the
probability and class-share checks: finite predictions, within the target's observed range, small
residual bias, better than always predicting the mean; cross-validation folds are scored by r2.
The stage itself always succeeds so the verdicts reach the CI report; the gate (`make gate`)
turns a failed check into a failed run.
"""

import math

import numpy as np
from joblib import parallel_backend
from sklearn.model_selection import cross_val_score

from . import dask_engine, regression
from .common import (
    DATA_PROFILE_FILE,
    MODEL_FILE,
    SANITY_FILE,
    SCHEMA_FILE,
    TEST_FILE,
    TRAIN_FILE,
    check,
    load_params,
    load_split,
    read_json,
    run,
    write_json,
)
from .compute import engine, usable_cpus
from .models import cross_validation_plan, is_xgboost, load_model, model_input, predictions, unfitted_like
from .storage import worker_storage


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
    """How far a class's predicted share may lie from its actual share `actual` in `rows` test rows:
    a fraction of the class's own size (with 0.3, a 5 % class may be predicted at 3.5-6.5 %, a
    50 % class at 35-65 %) plus the test split's sampling noise (binomial standard errors)."""
    noise = math.sqrt(actual * (1 - actual) / max(rows, 1))
    return sanity["class_share_relative_tolerance"] * actual + sanity["class_share_standard_errors"] * noise


def class_share_checks(labels: np.ndarray, probabilities: np.ndarray, classes: list, sanity: dict) -> list[dict]:
    predicted = probabilities.argmax(axis=1)
    checks = []
    for index, name in enumerate(classes):
        actual, share = float((labels == index).mean()), float((predicted == index).mean())
        gap = abs(share - actual)
        tolerance = round(class_share_tolerance(actual, len(labels), sanity), 6)
        never = actual > 0 and share == 0
        checks.append(
            check(
                f"class_share[{name}]",
                gap,
                tolerance,
                gap <= tolerance and not never,
                f"predicted {share:.1%} of rows as {name!s}, actual share {actual:.1%}"
                + (" (never predicted)" if never else ""),
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


def cross_validate(
    trained, features, labels, train_params: dict, sanity: dict, task: str = "classification"
) -> np.ndarray:
    """Fold scores (ROC AUC; r2 for regression) of the configured model on at most cv_max_rows training rows.

    xgboost's folds train side by side, one thread each: a model on a fold's few rows gains little
    from more threads, while whole folds in parallel keep every CPU busy. Threads rather than
    processes, so the data is not copied (xgboost releases the GIL). scikit-learn's forests train
    their trees in parallel themselves, so their folds run one after another: forests fitted in
    several threads at once race on scikit-learn's warning filters and print a stream of
    "sklearn.utils.parallel.delayed should be used with ..." warnings.
    """
    rng = np.random.default_rng(train_params["seed"])
    if len(labels) > sanity["cv_max_rows"]:
        rows = np.sort(rng.choice(len(labels), sanity["cv_max_rows"], replace=False))
        features, labels = features.iloc[rows], labels[rows]
    model = unfitted_like(trained, train_params)
    workers = min(sanity["cv_folds"], usable_cpus())
    if "n_jobs" in model.get_params():
        model.set_params(n_jobs=1 if is_xgboost(model) else usable_cpus())
    folds_at_once = workers if is_xgboost(model) else 1
    scoring, folds = cross_validation_plan(labels, task, sanity, train_params["seed"])
    with parallel_backend("threading", n_jobs=folds_at_once):
        return cross_val_score(
            model, model_input(features, model), labels, cv=folds, scoring=scoring, n_jobs=folds_at_once
        )


def main() -> None:
    params = load_params()
    sanity, train_params = params["sanity"], params["train"]
    schema = read_json(SCHEMA_FILE)
    model = load_model(MODEL_FILE)
    task = schema.get("task", "classification")
    storage = worker_storage(params)  # checked before a cluster starts
    with engine(params) as client:
        if client is None:
            train_features, train_labels = load_split(TRAIN_FILE, schema)
            test_features, test_labels = load_split(TEST_FILE, schema)
            predicted = predictions(model, test_features)
            fold_scores = cross_validate(model, train_features, train_labels, train_params, sanity, task)
        else:  # compute.engine: dask
            train_split, test_split = storage.files(TRAIN_FILE), storage.files(TEST_FILE)
            train_labels = dask_engine.labels_of(train_split, schema)
            test_labels, predicted = dask_engine.predict(client, model, test_split, schema)
            fold_scores = dask_engine.cross_validate(client, model, train_split, schema, train_params, sanity)

    noise = fold_noise(len(train_labels), sanity)
    if task == "regression":
        settings = sanity["regression"]
        target = read_json(DATA_PROFILE_FILE)["target_summary"]
        checks = [
            test_rows_check(len(train_labels), len(test_labels), 0, sanity),
            *regression.prediction_checks(test_labels, predicted, target, settings),
            cv_fold_check(fold_scores, settings["cv_max_fold_deviation"], noise),
        ]
    else:
        checks = [
            *data_checks(train_labels, test_labels, schema["classes"], sanity),
            *probability_checks(predicted, sanity),
            *class_share_checks(test_labels, predicted, schema["classes"], sanity),
            cv_fold_check(fold_scores, sanity["cv_max_fold_deviation"], noise),
        ]
    passed = all(item["passed"] for item in checks)
    write_json(SANITY_FILE, {"passed": passed, "checks": checks})
    failed = [item["name"] for item in checks if not item["passed"]]
    print(f"sanity-check: {len(checks) - len(failed)}/{len(checks)} passed" + (f"; failed: {failed}" if failed else ""))


if __name__ == "__main__":
    run(main)
