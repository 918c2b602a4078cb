"""The sanity checks: each check passes on sound input and fails, with its value, on broken input."""

import numpy as np

from {{ cookiecutter.module_name }}.evaluation.checks import (
    class_share_checks,
    cv_fold_check,
    data_checks,
    fold_noise,
    probability_checks,
    required_test_rows,
)

SANITY = {
    "probability_tolerance": 1e-6,
    "min_test_rows": 3,
    "min_test_rows_per_class": 1,
    "min_test_share": 0.1,
    "class_share_relative_tolerance": 0.3,
    "class_share_standard_errors": 2,
}
DEFAULTS = SANITY | {"min_test_rows": 100, "min_test_rows_per_class": 10}  # as params.yaml sets them


def verdicts(checks):
    return {check["name"]: check["passed"] for check in checks}


def test_sound_probabilities_pass():
    probabilities = np.array([[0.2, 0.8], [0.5, 0.5], [1.0, 0.0]])
    assert verdicts(probability_checks(probabilities, SANITY)) == {
        "probabilities_in_range": True,
        "probabilities_sum_to_one": True,
    }


def test_probabilities_outside_the_unit_interval_or_not_summing_to_one_fail():
    probabilities = np.array([[1.2, -0.2], [0.5, 0.6]])
    checks = {check["name"]: check for check in probability_checks(probabilities, SANITY)}
    assert not checks["probabilities_in_range"]["passed"]
    assert checks["probabilities_in_range"]["value"] == np.float64(0.2).round(6)
    assert not checks["probabilities_sum_to_one"]["passed"]


def test_a_model_predicting_one_class_fails_the_class_share_check():
    labels = np.array([0, 1] * 50)
    always_one = np.tile([0.1, 0.9], (100, 1))
    checks = class_share_checks(labels, always_one, ["0", "1"], DEFAULTS)
    assert verdicts(checks) == {"class_share[0]": False, "class_share[1]": False}
    assert checks[1]["value"] == 0.5


def test_predicted_shares_close_to_the_real_ones_pass():
    labels = np.array([0] * 50 + [1] * 50)
    probabilities = np.array([[0.9, 0.1]] * 55 + [[0.1, 0.9]] * 45)
    assert all(verdicts(class_share_checks(labels, probabilities, ["0", "1"], DEFAULTS)).values())


def test_an_outlier_fold_fails_and_agreeing_folds_pass():
    assert cv_fold_check(np.array([0.80, 0.81, 0.79, 0.80, 0.80]), 0.05)["passed"]
    outlier = cv_fold_check(np.array([0.80, 0.81, 0.79, 0.80, 0.60]), 0.05)
    assert not outlier["passed"]
    assert "fold 5" in outlier["detail"]


def test_data_checks_need_every_class_in_both_splits():
    checks = data_checks(np.array([0, 1, 1]), np.array([0, 0, 0]), ["0", "1"], SANITY)
    assert verdicts(checks) == {"test_rows": True, "classes_in_both_splits": False}


def by_name(checks):
    return {check["name"]: check for check in checks}


def test_the_class_share_tolerance_grows_with_the_class_and_shrinks_with_more_rows():
    small = np.array([0] * 42 + [1] * 28)  # 70 test rows, a 40 % class
    checks = by_name(class_share_checks(small, np.eye(2)[small], ["0", "1"], DEFAULTS))
    assert checks["class_share[0]"]["threshold"] > checks["class_share[1]"]["threshold"]  # 60 % > 40 %
    large = np.repeat(small, 50)
    large_checks = by_name(class_share_checks(large, np.eye(2)[large], ["0", "1"], DEFAULTS))
    assert large_checks["class_share[1]"]["threshold"] < checks["class_share[1]"]["threshold"]


def test_a_low_signal_model_that_underpredicts_the_minority_passes_on_a_few_hundred_rows():
    # 69 test rows, 30 % positive; a weak model predicts 17 % positive: 13 points off, which the
    # old absolute 10-point tolerance failed although the model is sound.
    labels = np.array([1] * 21 + [0] * 48)
    predicted = np.array([1] * 9 + [0] * 12 + [1] * 3 + [0] * 45)
    assert all(verdicts(class_share_checks(labels, np.eye(2)[predicted], ["0", "1"], DEFAULTS)).values())


def test_predicting_the_majority_class_for_everything_fails_even_on_imbalanced_small_data():
    labels = np.array([0] * 62 + [1] * 7)  # 90 / 10 in 69 rows: the minority's gap is within the noise
    checks = by_name(class_share_checks(labels, np.tile([0.8, 0.2], (69, 1)), ["0", "1"], DEFAULTS))
    assert not checks["class_share[1]"]["passed"]
    assert "never predicted" in checks["class_share[1]"]["detail"]


def test_the_minimum_test_rows_scale_down_on_small_data_only():
    assert required_test_rows(340, 3, DEFAULTS) == 34  # the 340-row, 3-class table: its 69 test rows pass
    assert required_test_rows(20_000, 2, DEFAULTS) == 100
    assert required_test_rows(100, 5, DEFAULTS) == 50  # 10 per class
    assert verdicts(data_checks(np.zeros(272), np.zeros(68), ["0"], DEFAULTS))["test_rows"]
    assert not verdicts(data_checks(np.zeros(330), np.zeros(10), ["0"], DEFAULTS))["test_rows"]


def test_small_folds_may_differ_more_by_chance_but_not_without_limit():
    sanity = {"cv_max_rows": 50_000, "cv_folds": 5, "cv_noise_standard_errors": 3}
    scores = np.array([0.88, 0.93, 0.91, 0.88, 0.86])  # a 3-class table of 340 rows: 54 rows per fold
    assert not cv_fold_check(scores, 0.05)["passed"]
    assert cv_fold_check(scores, 0.05, fold_noise(272, sanity))["passed"]
    assert fold_noise(1_000_000, sanity) < 0.05  # large data: cv_max_fold_deviation applies
    assert not cv_fold_check(np.array([0.88, 0.9, 0.89, 0.88, 0.55]), 0.05, fold_noise(272, sanity))["passed"]
