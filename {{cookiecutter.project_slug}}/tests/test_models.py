"""The models (models.py): every model params.yaml can name trains on the same data without code changes."""

import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.core.errors import PipelineError
from {{ cookiecutter.module_name }}.core.modeling import fit_model, model_input
from {{ cookiecutter.module_name }}.engine.base import unfitted_like
from {{ cookiecutter.module_name }}.models import MODELS, build_model

from conftest import split_xy


def fit(features, labels, train_params: dict, task: str = "classification"):
    """What the engines do to train: the model params.yaml describes, fitted."""
    return fit_model(build_model(train_params, task), features, labels, train_params)


SMALL = {
    "xgboost": {"n_estimators": 20, "max_depth": 3},
    "random_forest": {"n_estimators": 20},
    "extra_trees": {"n_estimators": 20},
}


@pytest.mark.parametrize("name", MODELS)
def test_each_model_learns_the_planted_signal(dataset, name):
    train, test, schema, _ = dataset
    model = fit(*split_xy(train, schema), {"model": name, "seed": 0, name: SMALL[name]})
    features, labels = split_xy(test, schema)
    accuracy = (model.predict_proba(model_input(features, model)).argmax(axis=1) == labels).mean()
    assert accuracy > 0.8  # 'library' plays replay, with 10 % label noise


def test_unknown_model_is_refused_with_the_choices(dataset):
    train, _, schema, _ = dataset
    with pytest.raises(PipelineError, match="train.model is 'svm'; choose one of xgboost, random_forest"):
        fit(*split_xy(train, schema), {"model": "svm", "seed": 0})


def test_codes_replace_categories_for_scikit_learn_models(dataset):
    train, _, schema, _ = dataset
    features, _ = split_xy(train, schema)
    model = MODELS["random_forest"]({}, 0)
    encoded = model_input(features, model)
    assert encoded["genre"].dtype.kind == "i"
    assert (encoded["genre"] == -1).any()  # missing genre -> code -1


# Far more trees than the planted signal needs, so early stopping has to stop short.
STOPPING = {
    "model": "xgboost",
    "seed": 0,
    "validation_share": 0.2,
    "xgboost": {"n_estimators": 500, "learning_rate": 0.3, "max_depth": 2, "early_stopping_rounds": 5},
}


def test_early_stopping_stops_short_keeps_the_best_trees_and_still_learns(dataset):
    train, test, schema, _ = dataset
    model = fit(*split_xy(train, schema), STOPPING)
    losses = model.evals_result()["validation_1"]["logloss"]  # the last eval set: the validation slice
    assert model.best_iteration + 1 < 500
    assert len(losses) == model.best_iteration + 1 + 5  # it stopped 5 rounds after the best
    assert losses[model.best_iteration] == min(losses)
    features, labels = split_xy(test, schema)
    assert (model.predict_proba(model_input(features, model)).argmax(axis=1) == labels).mean() > 0.8


def test_cross_validation_refits_as_many_trees_as_early_stopping_kept(dataset):
    train, _, schema, _ = dataset
    trained = fit(*split_xy(train, schema), STOPPING)
    fresh = unfitted_like(trained, STOPPING)
    assert fresh.get_params()["n_estimators"] == trained.best_iteration + 1
    assert fresh.get_params()["early_stopping_rounds"] is None  # refits on other rows with no validation slice


def test_xgboost_gets_codes_by_default_and_splits_on_categories_when_asked(dataset):
    train, test, schema, _ = dataset
    features, labels = split_xy(train, schema)
    codes = model_input(features, MODELS["xgboost"]({}, 0))
    assert pd.api.types.is_integer_dtype(codes["genre"])
    # a missing category is a code of its own, -1, not NaN: xgboost's matrix stays dense (core/modeling.py)
    assert (codes["genre"] == -1).sum() == features["genre"].isna().sum() > 0
    default = fit(features, labels, {"model": "xgboost", "seed": 0, "xgboost": SMALL["xgboost"]})
    native = fit(
        features, labels, {"model": "xgboost", "seed": 0, "xgboost": SMALL["xgboost"] | {"enable_categorical": True}}
    )
    genre = schema["features"].index("genre")
    assert default.get_booster().feature_types[genre] == "int"
    assert native.get_booster().feature_types[genre] == "c"
    test_features, test_labels = split_xy(test, schema)
    assert (native.predict_proba(model_input(test_features, native)).argmax(axis=1) == test_labels).mean() > 0.8
