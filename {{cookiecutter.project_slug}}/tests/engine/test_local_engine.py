"""The local engine: its dataset (joining, encoding, splitting, errors that name the file and the column)
and the sample its cross-validation reads."""

import re

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.core.errors import PipelineError
from {{ cookiecutter.module_name }}.core.modeling import cross_validation_rows, fit_model
from {{ cookiecutter.module_name }}.engine.base import encode_for_disk
from {{ cookiecutter.module_name }}.engine.local import LocalEngine, build_dataset, cross_validate, load_split
from {{ cookiecutter.module_name }}.models import build_model

from conftest import DATA_PARAMS, SPLIT_PARAMS, with_source


def test_joins_lookups_encodes_and_splits(dataset):
    train, test, schema, profile = dataset
    assert len(train) + len(test) == 400
    assert len(test) == 100
    assert schema["features"] == ["age", "song_length", "source_type", "city", "genre"]
    assert schema["classes"] == ["0", "1"]
    assert isinstance(train["genre"].dtype, pd.CategoricalDtype)
    assert train["age"].dtype == np.float32
    assert profile["lookup_coverage"] == {"members.csv": 1.0, "songs.csv": 1.0}
    assert train["age"].isna().any() or test["age"].isna().any()  # the missing age is kept as missing


def test_split_is_deterministic(tables):
    main, lookups = tables
    first = build_dataset(main, lookups, DATA_PARAMS, SPLIT_PARAMS)[0]
    second = build_dataset(main, lookups, DATA_PARAMS, SPLIT_PARAMS)[0]
    pd.testing.assert_frame_equal(first, second)


def test_multiclass_string_target(tables):
    main, lookups = tables
    main["target"] = main["source_type"].map({"library": "replay", "radio": "skip", "search": "later"})
    _, _, schema, profile, *_ = build_dataset(main, lookups, DATA_PARAMS, SPLIT_PARAMS)
    assert schema["classes"] == ["later", "replay", "skip"]
    assert sum(profile["class_balance"].values()) == pytest.approx(1.0, abs=1e-3)


BAD_DATA = {  # id: (table changed, change, expected message)
    "no-target": ("main", lambda t: t.drop(columns="target"), "interactions.csv: target column 'target' is missing"),
    "missing-label": (
        "main",
        lambda t: t.assign(target=t["target"].where(t.index != 5)),
        "interactions.csv: column 'target' has 1 missing label(s), first at data row 6",
    ),
    "one-row-class": (
        "main",
        lambda t: t.assign(target=t["target"].where(t.index != 7, 2)),
        "interactions.csv: column 'target' has only one row of class '2'",
    ),
    "single-class": ("main", lambda t: t.assign(target=1), "interactions.csv: column 'target' has a single class"),
    "text-in-numeric": (
        "members",
        lambda t: t.assign(age=t["age"].astype(object).where(t.index != 2, "old")),
        "members.csv: column 'age' should be numeric but has text 'old' at data row 3",
    ),
    "key-matches-nothing": (
        "members",
        lambda t: t.assign(user="nobody" + t["user"]),
        "members.csv: no value of key column 'user' matches the main table interactions.csv",
    ),
    "duplicate-key": (
        "members",
        lambda t: t.assign(user="u1"),
        "members.csv: key column 'user' has duplicate value 'u1'",
    ),
    "no-key-column": ("members", lambda t: t.drop(columns="user"), "members.csv: join key column 'user' is missing"),
}


@pytest.mark.parametrize(("table", "change", "message"), BAD_DATA.values(), ids=BAD_DATA.keys())
def test_bad_data_is_refused_with_file_and_column(tables, table, change, message):
    main, [(members, member_key), songs] = tables
    if table == "main":
        main = with_source(change(main), "interactions.csv")
    else:
        members = with_source(change(members), "members.csv")
    with pytest.raises(PipelineError, match=re.escape(message)):
        build_dataset(main, [(members, member_key), songs], DATA_PARAMS, SPLIT_PARAMS)


# --- A new data set: inferred columns, rows left out, group and time splits, names, dates ---
def panel(rows_per_person: int = 6, people: int = 40) -> pd.DataFrame:
    """A panel as Males is: a person per `rows_per_person` rows, one row a year, a text category."""
    rng = np.random.default_rng(5)
    person = np.repeat([f"p{number}" for number in range(people)], rows_per_person)
    year = np.tile(np.arange(2000, 2000 + rows_per_person), people)
    sector = rng.choice(["farm", "shop", "mill"], len(person))
    frame = pd.DataFrame(
        {
            "person": person,
            "year": year,
            "hired": [f"{when}-03-01" for when in year],
            "sector": sector,
            "wage[usd]": rng.normal(10, 2, len(person)).round(2),
            "union": np.where((sector == "mill") ^ (rng.random(len(person)) < 0.15), "yes", "no"),
        }
    )
    return with_source(frame.convert_dtypes(dtype_backend="pyarrow"), "panel.csv")


AUTO = {"target": "union", "numeric_columns": "auto", "categorical_columns": "auto", "drop_columns": []}


def test_auto_columns_a_group_split_and_renamed_names_on_a_panel():
    # given a panel whose wage column has a name xgboost refuses, and a date column read as dates
    main = panel()
    main["hired"] = main["hired"].astype("date32[pyarrow]")
    # when it is preprocessed with auto columns, split by person
    by_person = SPLIT_PARAMS | {"split": "group", "group_column": "person"}
    train, test, schema, profile, *_ = build_dataset(main, [], AUTO, by_person)
    # then the split is recorded, auto typed the columns (the person is the group, no feature), the
    # wage got a name the model takes, and the date became its parts
    assert schema["split"] == {"kind": "group", "column": "person"} and profile["split"] == "group: person"
    assert schema["columns"]["left_out"] == {"person": "preprocess.group_column", "union": "the target"}
    assert schema["renamed"] == {"wage[usd]": "wage(usd)"}
    assert schema["features"] == [
        "year", "hired_year", "hired_month", "hired_day", "hired_weekday", "wage(usd)", "sector",
    ]  # fmt: skip
    assert list(train.columns) == [*schema["features"], "union"]
    assert len(test) == 60  # ceil(0.25 x 240): 10 whole people of 6 rows


def test_a_group_split_never_puts_a_group_on_both_sides():
    main = panel()
    main["person_copy"] = main["person"]  # a feature that shows which person a row is
    params = AUTO | {"categorical_columns": ["person_copy", "sector"], "numeric_columns": ["year"]}
    by_person = SPLIT_PARAMS | {"split": "group", "group_column": "person"}
    train, test, schema, *_ = build_dataset(main, [], params, by_person)
    people = schema["categories"]["person_copy"]
    assert not {people[code] for code in train["person_copy"].cat.codes} & {
        people[code] for code in test["person_copy"].cat.codes
    }


def test_a_time_split_tests_on_the_latest_years():
    train, test, schema, profile, *_ = build_dataset(
        panel(), [], AUTO | {"numeric_columns": ["year"]}, SPLIT_PARAMS | {"split": "time", "time_column": "year"}
    )
    assert train["year"].max() < test["year"].min() == 2004  # 2004 and 2005: a third of the rows, ties kept
    assert profile["rows"] == {"total": 240, "train": 160, "test": 80}


def test_rows_without_a_target_and_duplicate_rows_are_left_out_when_asked():
    # given a panel with two rows repeated and two targets missing
    main = panel()
    main = with_source(pd.concat([main, main.iloc[[3, 7]]], ignore_index=True), "panel.csv")
    main.loc[[0, 1], "union"] = None
    params = AUTO | {"missing_target": "drop", "duplicates": "drop"}
    # when it is preprocessed
    train, test, _, profile, *_ = build_dataset(main, [], params, SPLIT_PARAMS)
    # then those rows are gone before the split, and the profile says how many
    assert len(train) + len(test) == 240 + 2 - 2 - 2
    assert profile["rows_out"] == {"missing_target_dropped": 2, "duplicate_rows": 2, "duplicates_dropped": 2}


def test_a_missing_target_names_its_row_unless_dropping_is_asked():
    main = panel()
    main.loc[5, "union"] = None
    with pytest.raises(PipelineError, match=r"panel.csv: column 'union' has 1 missing label\(s\), first at data row 6"):
        build_dataset(main, [], AUTO, SPLIT_PARAMS)


def test_a_regression_target_left_empty_or_infinite_is_dropped_when_asked():
    main = panel()
    main["pay"] = pd.Series([str(float(value)) for value in range(240)], dtype="string[pyarrow]")
    main.loc[0, "pay"], main.loc[9, "pay"] = None, "inf"
    params = AUTO | {"target": "pay", "task": "regression", "missing_target": "drop", "drop_columns": ["union"]}
    train, test, _, profile, *_ = build_dataset(main, [], params, SPLIT_PARAMS)
    assert profile["rows_out"]["missing_target_dropped"] == 2
    assert np.isfinite(np.concatenate([train["pay"], test["pay"]])).all() and len(train) + len(test) == 238


def test_cross_validation_reads_only_its_sample_and_scores_it_as_on_the_whole_split(dataset, tmp_path):
    # given a processed training split on disk, more rows than sanity.cv_max_rows, and a model trained on it
    train, _, schema, _ = dataset
    split = tmp_path / "train.parquet"
    encode_for_disk(train).to_parquet(split, index=False)
    params = {"model": "random_forest", "seed": 0, "validation_share": 0.1, "random_forest": {"n_estimators": 10}}
    features, labels = load_split(split, schema)
    model = fit_model(build_model(params, "classification"), features, labels, params)
    sanity = {"cv_max_rows": 200, "cv_folds": 3}
    # when the local engine cross-validates, reading only the sampled rows of the file
    scores = LocalEngine().cross_validate(model, split, schema, params, sanity)
    # then those rows are the sample drawn from the whole split, and their folds score the same
    rows = cross_validation_rows(len(labels), sanity, seed=0)
    assert rows is not None and len(rows) == 200 < len(labels)
    pd.testing.assert_frame_equal(load_split(split, schema, rows)[0], features.iloc[rows].reset_index(drop=True))
    np.testing.assert_array_equal(scores, cross_validate(model, features, labels, params, sanity, "classification"))
