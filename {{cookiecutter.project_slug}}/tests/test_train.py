"""Stage 2: every model params.yaml can name trains on the same data without code changes."""

import pytest

from conftest import split_xy
from {{ cookiecutter.module_name }}.common import PipelineError
from {{ cookiecutter.module_name }}.models import MODELS, model_input
from {{ cookiecutter.module_name }}.train import fit

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
