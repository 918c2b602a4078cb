"""dask_training.py: how the training split is shared among workers, and the booster's parameters."""

from {{ cookiecutter.module_name }}.engine.dask.training import assign, booster_params
from {{ cookiecutter.module_name }}.models import build_model

TRAIN = {"model": "xgboost", "seed": 0, "xgboost": {"n_estimators": 5, "max_depth": 3}}


def test_workers_get_consecutive_row_groups_of_about_as_many_rows():
    groups = [("a.parquet", 0, 100), ("a.parquet", 1, 100), ("b.parquet", 0, 100), ("b.parquet", 1, 100)]
    assert assign(groups, 2) == [[0, 1], [2, 3]]
    assert assign(groups, 3) == [[0, 1], [2], [3]]


def test_no_worker_is_left_without_rows():
    groups = [("a.parquet", 0, 10)]
    assert assign(groups, 4) == [[0]]  # one row group: one worker trains, the others have nothing to add
    assert assign([("a.parquet", 0, 1000), ("a.parquet", 1, 1)], 2) == [[0], [1]]


def test_the_booster_gets_the_models_settings_and_the_objective_for_several_classes():
    binary = booster_params(build_model(TRAIN), {"task": "classification", "classes": ["0", "1"]})
    assert binary["max_depth"] == 3 and binary["objective"] == "binary:logistic" and "n_jobs" not in binary
    three = booster_params(build_model(TRAIN), {"task": "classification", "classes": ["a", "b", "c"]})
    assert three["objective"] == "multi:softprob" and three["num_class"] == 3
    regression = booster_params(build_model(TRAIN, "regression"), {"task": "regression"})
    assert regression["objective"] == "reg:squarederror" and "num_class" not in regression
