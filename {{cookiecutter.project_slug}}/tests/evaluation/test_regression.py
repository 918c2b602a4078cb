"""A regression target's metrics, plot points and sanity checks (evaluation/): a sound model passes, and a model
that always predicts the mean fails, as does one that predicts nonsense."""

import numpy as np
import pytest

from {{ cookiecutter.module_name }}.core.modeling import fit_model
from {{ cookiecutter.module_name }}.engine.local import cross_validate
from {{ cookiecutter.module_name }}.evaluation.checks import regression_checks
from {{ cookiecutter.module_name }}.evaluation.metrics import regression_metrics, regression_points
from {{ cookiecutter.module_name }}.models import build_model

SETTINGS = {  # as params.yaml sets sanity.regression
    "range_tolerance": 0.1,
    "max_bias": 0.1,
    "min_r2": 0.0,
    "min_prediction_spread": 0.05,
    "cv_max_fold_deviation": 0.2,
}


@pytest.fixture
def actual():
    return np.random.default_rng(3).normal(4200, 800, 200)


def summary(values):
    return {"min": values.min(), "max": values.max(), "mean": values.mean(), "std": values.std()}


def failed(checks):
    return {check["name"] for check in checks if not check["passed"]}


def test_metrics_of_a_perfect_and_an_off_by_ten_model(actual):
    assert regression_metrics(actual, actual) == {"rmse": 0.0, "mae": 0.0, "r2": 1.0, "test_rows": 200}
    off = regression_metrics(actual, actual + 10)
    assert off["rmse"] == pytest.approx(10) and off["mae"] == pytest.approx(10) and off["r2"] < 1


def test_a_sound_model_passes_every_check(actual):
    predicted = actual + np.random.default_rng(4).normal(0, 200, len(actual))
    assert failed(regression_checks(actual, predicted, summary(actual), SETTINGS)) == set()


def test_always_predicting_the_mean_fails(actual):
    constant = np.full_like(actual, actual.mean())
    assert failed(regression_checks(actual, constant, summary(actual), SETTINGS)) == {
        "beats_mean_baseline",
        "prediction_spread",
    }


def test_non_finite_out_of_range_or_biased_predictions_fail(actual):
    target = summary(actual)
    with_nan = actual.copy()
    with_nan[3] = np.nan
    assert "predictions_finite" in failed(regression_checks(actual, with_nan, target, SETTINGS))
    far = actual.copy()
    far[0] = target["max"] + 0.5 * (target["max"] - target["min"])
    assert failed(regression_checks(actual, far, target, SETTINGS)) == {"predictions_in_range"}
    assert "residual_bias" in failed(regression_checks(actual, actual + 0.3 * target["std"], target, SETTINGS))


def test_plot_tables_keep_at_most_the_points_asked_for_and_span_the_range(actual):
    versus, residuals = regression_points(actual, actual + 1, points=50)
    assert len(versus) == len(residuals) == 50
    assert versus["actual"].min() == pytest.approx(actual.min()) and versus["actual"].max() == pytest.approx(
        actual.max()
    )
    assert residuals["residual"].round(3).eq(-1).all()


def test_cross_validation_of_a_regressor_scores_r2_per_fold(dataset):
    train, _, schema, _ = dataset
    features = train[schema["features"]]
    target = features["age"].fillna(30).to_numpy() * 2.0 + np.random.default_rng(5).normal(0, 1, len(features))
    params = {"model": "random_forest", "seed": 0, "validation_share": 0.1, "random_forest": {"n_estimators": 20}}
    model = fit_model(build_model(params, "regression"), features, target, params)
    sanity = {"cv_max_rows": 1000, "cv_folds": 3}
    scores = cross_validate(model, features, target, params, sanity, "regression")
    assert len(scores) == 3 and (scores > 0.5).all()
