"""Deciding the task from the target (core/target.py), and a numeric target through the local engine."""

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.core.errors import PipelineError
from {{ cookiecutter.module_name }}.core.tables import class_labels, normalised_labels
from {{ cookiecutter.module_name }}.core.target import decide_task, regression_strata
from {{ cookiecutter.module_name }}.engine.local import build_dataset

from conftest import DATA_PARAMS, SPLIT_PARAMS, with_source


@pytest.mark.parametrize(
    "values, task",
    [
        (["yes", "no", "yes", None], "classification"),  # text
        ([True, False, True], "classification"),  # true/false
        ([0, 1, 1, 0], "classification"),  # binary ids
        ([1.0, 2.0, 5.0, 3.0, np.nan], "classification"),  # star ratings read as floats
        (["1", "2", "3"], "classification"),  # whole numbers read as text
        (list(range(21)), "regression"),  # more distinct whole numbers than MAX_AUTO_CLASSES
        ([3.5, 2.25, 7.0, 1.0], "regression"),  # fractions
        (["3750.5", "3800", " 4100.25 "], "regression"),  # numbers read as text
    ],
)
def test_auto_decides_from_the_target_and_says_why(values, task):
    decided, why = decide_task(pd.Series(values, name="y"), "auto", "t.csv")
    assert decided == task
    assert why.startswith(f"auto: target 'y' is {task} because")


def test_classification_forced_on_a_continuous_target_is_one_clear_error():
    column = pd.Series(np.linspace(0.5, 99.5, 50), name="body_mass_g")
    with pytest.raises(
        PipelineError, match=r"t.csv: data.task is classification .*'body_mass_g'.* data.task: regression"
    ):
        decide_task(column, "classification", "t.csv")


def test_regression_forced_on_text_is_one_clear_error():
    with pytest.raises(PipelineError, match=r"data.task is regression but column 'y' holds text 'cat'"):
        decide_task(pd.Series(["1.5", "cat"], name="y"), "regression", "t.csv")


def test_a_forced_task_the_target_allows_is_kept():
    assert decide_task(pd.Series([0, 1, 2, 1], name="y"), "regression", "t.csv")[0] == "regression"
    assert decide_task(pd.Series(list(range(30)), name="y"), "classification", "t.csv")[0] == "classification"


def test_an_unknown_task_is_refused(tables):
    main, lookups = tables
    with pytest.raises(PipelineError, match=r"params.yaml: data.task is 'regresion'; choose one of auto"):
        build_dataset(main, lookups, DATA_PARAMS | {"task": "regresion"}, SPLIT_PARAMS)


def test_strata_are_quantile_bins_and_none_on_tiny_data():
    strata = regression_strata(np.arange(300.0), 0.2)
    assert strata is not None and len(np.unique(strata)) == 10
    assert regression_strata(np.arange(15.0), 0.2) is None


def numeric_target(tables, missing_row: int | None = None):
    main, lookups = tables
    target = np.random.default_rng(1).normal(100, 15, len(main)).round(2)
    if missing_row is not None:
        target[missing_row] = np.nan
    return with_source(main.assign(target=target), "interactions.csv"), lookups


def test_a_numeric_target_is_split_as_regression_with_its_summary(tables):
    main, lookups = numeric_target(tables)
    train, test, schema, profile, *_ = build_dataset(main, lookups, DATA_PARAMS, SPLIT_PARAMS)
    assert schema["task"] == profile["task"] == "regression"
    assert "classes" not in schema and "class_balance" not in profile
    assert train["target"].dtype == np.float64
    summary = profile["target_summary"]
    assert summary["min"] == train["target"].min() and summary["max"] == train["target"].max()
    # stratified by deciles: the test split covers the whole range, not one part of it
    low, high = summary["mean"] - summary["std"], summary["mean"] + summary["std"]
    assert test["target"].min() < low < high < test["target"].max()


def test_a_missing_regression_target_value_names_the_row(tables):
    main, lookups = numeric_target(tables, missing_row=7)
    with pytest.raises(PipelineError, match=r"interactions.csv: column 'target' has 1 missing .* at data row 8"):
        build_dataset(main, lookups, DATA_PARAMS | {"task": "regression"}, SPLIT_PARAMS)


@pytest.mark.parametrize(
    "values",
    [
        [1, 0, 1, 1, 0],
        [1.0, 0.0, np.nan, 1.0, np.inf],
        [" yes", "no ", "yes", "", None, "no"],
        ["1", "1.0", " 1 ", "2", "10", "9"],
        [True, False, True],
        ["\u00e9t\u00e9", "ete", "z", None],
        ["a", 1, 2.0, None],
    ],
)
def test_class_labels_are_the_normalised_labels_as_categories_worked_out_per_distinct_value(values):
    column = pd.Series(values, index=range(10, 10 + len(values)), name="target")
    labels = class_labels(column)
    expected = normalised_labels(column).astype("category")  # a text label for every row, then sorted
    assert list(labels.cat.categories) == list(expected.cat.categories)
    assert np.array_equal(labels.cat.codes, expected.cat.codes)  # -1 where the label is missing
    assert labels.index.equals(column.index) and labels.name == "target"


def test_one_class_for_every_spelling_of_a_label():
    labels = class_labels(pd.Series(["1", "1.0", " 1 ", 1, "", "0"]))
    assert list(labels.cat.categories) == ["0", "1"]
    assert labels.cat.codes.tolist() == [1, 1, 1, 1, -1, 0]
