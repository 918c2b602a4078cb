"""Stage 4, sanity-check: is the model (and the data it saw) fit to ship?

Checks, each recorded with its value, threshold and verdict in reports/sanity.json:
  - the test split is large enough and every class appears in train and test;
  - predicted probabilities lie within [0, 1] and each row sums to 1;
  - each class's share of the predictions is within a tolerance of its share in the test data
    (a model that predicts one class for everything fails here even with a fine accuracy);
  - cross-validation folds agree: a fold far from the others means unstable training or data.
The stage itself always succeeds so the verdicts reach the CI report; the gate (`make gate`)
turns a failed check into a failed run.
"""

import numpy as np
from joblib import parallel_backend
from sklearn.model_selection import StratifiedKFold, cross_val_score

from . import dask_engine
from .common import (
    MODEL_FILE,
    SANITY_FILE,
    SCHEMA_FILE,
    TEST_FILE,
    TRAIN_FILE,
    load_params,
    load_split,
    read_json,
    run,
    write_json,
)
from .compute import engine, usable_cpus
from .models import load_model, model_input, unfitted_like


def check(name: str, value: float, threshold: float, passed: bool, detail: str) -> dict:
    return {
        "name": name,
        "value": round(float(value), 6),
        "threshold": threshold,
        "passed": bool(passed),
        "detail": detail,
    }


def data_checks(train_labels: np.ndarray, test_labels: np.ndarray, classes: list, sanity: dict) -> list[dict]:
    missing = [
        str(classes[index])
        for index in range(len(classes))
        if not ((train_labels == index).any() and (test_labels == index).any())
    ]
    return [
        check(
            "test_rows",
            len(test_labels),
            sanity["min_test_rows"],
            len(test_labels) >= sanity["min_test_rows"],
            f"{len(test_labels)} rows in the test split (minimum {sanity['min_test_rows']})",
        ),
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


def class_share_checks(labels: np.ndarray, probabilities: np.ndarray, classes: list, tolerance: float) -> list[dict]:
    predicted = probabilities.argmax(axis=1)
    checks = []
    for index, name in enumerate(classes):
        actual, share = float((labels == index).mean()), float((predicted == index).mean())
        gap = abs(share - actual)
        checks.append(
            check(
                f"class_share[{name}]",
                gap,
                tolerance,
                gap <= tolerance,
                f"predicted {share:.1%} of rows as {name!s}, actual share {actual:.1%}",
            )
        )
    return checks


def cv_fold_check(fold_scores: np.ndarray, max_deviation: float) -> dict:
    median = float(np.median(fold_scores))
    deviation = float(np.abs(fold_scores - median).max())
    worst = int(np.abs(fold_scores - median).argmax())
    return check(
        "cv_fold_outlier",
        deviation,
        max_deviation,
        deviation <= max_deviation,
        f"fold scores {np.round(fold_scores, 4).tolist()}; fold {worst + 1} is {deviation:.4f} "
        f"from the median {median:.4f}",
    )


def cross_validate(trained, features, labels, train_params: dict, sanity: dict) -> np.ndarray:
    """Fold scores (ROC AUC) of the configured model on at most cv_max_rows training rows.

    The folds train side by side, one thread each: a model on a fold's few rows gains little
    from more threads, while whole folds in parallel keep every CPU busy. Threads rather than
    processes, so the data is not copied (xgboost and scikit-learn's trees release the GIL).
    """
    rng = np.random.default_rng(train_params["seed"])
    if len(labels) > sanity["cv_max_rows"]:
        rows = np.sort(rng.choice(len(labels), sanity["cv_max_rows"], replace=False))
        features, labels = features.iloc[rows], labels[rows]
    model = unfitted_like(trained, train_params)
    if "n_jobs" in model.get_params():
        model.set_params(n_jobs=1)
    workers = min(sanity["cv_folds"], usable_cpus())
    scoring = "roc_auc" if len(np.unique(labels)) == 2 else "roc_auc_ovr"
    folds = StratifiedKFold(n_splits=sanity["cv_folds"], shuffle=True, random_state=train_params["seed"])
    with parallel_backend("threading", n_jobs=workers):
        return cross_val_score(model, model_input(features, model), labels, cv=folds, scoring=scoring, n_jobs=workers)


def main() -> None:
    params = load_params()
    sanity, train_params = params["sanity"], params["train"]
    schema = read_json(SCHEMA_FILE)
    model = load_model(MODEL_FILE)
    with engine(params) as client:
        if client is None:
            train_features, train_labels = load_split(TRAIN_FILE, schema)
            test_features, test_labels = load_split(TEST_FILE, schema)
            probabilities = model.predict_proba(model_input(test_features, model))
            fold_scores = cross_validate(model, train_features, train_labels, train_params, sanity)
        else:  # compute.engine: dask
            train_labels = dask_engine.labels_of(TRAIN_FILE, schema)
            test_labels, probabilities = dask_engine.predict(client, model, TEST_FILE, schema)
            fold_scores = dask_engine.cross_validate(client, model, TRAIN_FILE, schema, train_params, sanity)

    checks = [
        *data_checks(train_labels, test_labels, schema["classes"], sanity),
        *probability_checks(probabilities, sanity),
        *class_share_checks(test_labels, probabilities, schema["classes"], sanity["class_share_tolerance"]),
        cv_fold_check(fold_scores, sanity["cv_max_fold_deviation"]),
    ]
    passed = all(item["passed"] for item in checks)
    write_json(SANITY_FILE, {"passed": passed, "checks": checks})
    failed = [item["name"] for item in checks if not item["passed"]]
    print(f"sanity-check: {len(checks) - len(failed)}/{len(checks)} passed" + (f"; failed: {failed}" if failed else ""))


if __name__ == "__main__":
    run(main)
