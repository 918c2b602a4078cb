"""Stage 4: each check passes on sound input and fails, with its value, on broken input."""

import numpy as np

from {{ cookiecutter.module_name }}.sanity_check import class_share_checks, cv_fold_check, data_checks, probability_checks

SANITY = {"probability_tolerance": 1e-6, "min_test_rows": 3}


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
    checks = class_share_checks(labels, always_one, ["0", "1"], tolerance=0.10)
    assert verdicts(checks) == {"class_share[0]": False, "class_share[1]": False}
    assert checks[1]["value"] == 0.5


def test_predicted_shares_close_to_the_real_ones_pass():
    labels = np.array([0] * 50 + [1] * 50)
    probabilities = np.array([[0.9, 0.1]] * 55 + [[0.1, 0.9]] * 45)
    assert all(verdicts(class_share_checks(labels, probabilities, ["0", "1"], tolerance=0.10)).values())


def test_an_outlier_fold_fails_and_agreeing_folds_pass():
    assert cv_fold_check(np.array([0.80, 0.81, 0.79, 0.80, 0.80]), 0.05)["passed"]
    outlier = cv_fold_check(np.array([0.80, 0.81, 0.79, 0.80, 0.60]), 0.05)
    assert not outlier["passed"]
    assert "fold 5" in outlier["detail"]


def test_data_checks_need_every_class_in_both_splits():
    checks = data_checks(np.array([0, 1, 1]), np.array([0, 0, 0]), ["0", "1"], SANITY)
    assert verdicts(checks) == {"test_rows": True, "classes_in_both_splits": False}
