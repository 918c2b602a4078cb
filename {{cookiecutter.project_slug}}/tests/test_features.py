"""The features (features.py): your own, added by add_features(), and count features (data.count_columns)."""

import re

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }} import features
from {{ cookiecutter.module_name }}.core.drift import drift_columns
from {{ cookiecutter.module_name }}.core.errors import PipelineError
from {{ cookiecutter.module_name }}.engine.local import build_dataset
from {{ cookiecutter.module_name }}.features import count_columns, count_feature, write_counts

from conftest import DATA_PARAMS, SPLIT_PARAMS

COUNTED = DATA_PARAMS | {"count_columns": ["user", "genre"]}


def test_each_row_gets_how_many_training_rows_share_its_value(tables):
    main, lookups = tables
    train, test, schema, _, counts, _ = build_dataset(main, lookups, COUNTED, SPLIT_PARAMS)
    training_users = main.loc[train.index, "user"]  # the splits keep the main table's row labels
    assert counts["user"].to_dict() == training_users.value_counts().to_dict()
    assert (train["user_count"] == training_users.map(training_users.value_counts())).all()
    assert (test["user_count"] == main.loc[test.index, "user"].map(counts["user"]).fillna(0)).all()
    assert schema["features"][-2:] == ["user_count", "genre_count"]
    assert schema["counts"] == {"user_count": "user", "genre_count": "genre"}
    assert "user_count" in schema["numeric"]


def test_a_missing_value_has_no_count_and_an_unseen_one_counts_zero():
    counted = count_feature(pd.Series(["pop", None, "jazz", "pop"]), pd.Series({"pop": 7, "rock": 2}))
    assert counted.dtype == np.float32
    np.testing.assert_array_equal(counted, [7, np.nan, 0, 7])


def test_drift_leaves_out_count_features_which_grow_with_the_data(tables):
    main, lookups = tables
    schema = build_dataset(main, lookups, COUNTED, SPLIT_PARAMS)[2]
    numeric, categorical = drift_columns(schema)
    assert numeric == ["age", "song_length"]
    assert categorical == ["source_type", "city", "genre"]


def test_the_counts_are_saved_for_scoring_new_rows(tables, tmp_path):
    main, lookups = tables
    counts = build_dataset(main, lookups, COUNTED, SPLIT_PARAMS)[4]
    write_counts(counts, tmp_path / "counts.parquet")
    saved = pd.read_parquet(tmp_path / "counts.parquet")
    assert set(saved["column"]) == {"user", "genre"}
    genre = saved[saved["column"] == "genre"].set_index("value")["count"]
    assert genre.to_dict() == counts["genre"].to_dict()


@pytest.mark.parametrize(
    ("setting", "features", "message"),
    [
        ("user", [], "data.count_columns must be a list of column names, not 'user'"),
        (["user", "user"], [], "data.count_columns lists 'user' twice"),
        (["age"], ["age_count"], "would add the feature 'age_count', which is already a feature column"),
    ],
)
def test_a_bad_count_columns_setting_is_refused_naming_it(setting, features, message):
    with pytest.raises(PipelineError, match=message):
        count_columns({"count_columns": setting}, features)


def test_a_count_column_in_no_table_is_named(tables):
    main, lookups = tables
    message = r"column 'song_id' \(params.yaml: data.count_columns\) is in none of the tables: interactions.csv"
    with pytest.raises(PipelineError, match=message):
        build_dataset(main, lookups, DATA_PARAMS | {"count_columns": ["song_id"]}, SPLIT_PARAMS)


# --- Your own features: add_features() ------------------------------------------------------
def test_columns_that_add_features_adds_are_features_of_their_kind(tables, monkeypatch):
    def add_features(rows):
        assert "target" not in rows.columns  # the target never reaches your features
        rows["age_in_months"] = rows["age"] * 12
        rows["genre_initial"] = rows["genre"].astype("string").str[0]
        return rows

    monkeypatch.setattr(features, "add_features", add_features)
    main, lookups = tables
    train, test, schema, profile, *_ = build_dataset(main, lookups, DATA_PARAMS, SPLIT_PARAMS)
    assert "age_in_months" in schema["numeric"] and train["age_in_months"].dtype == np.float32
    assert "genre_initial" in schema["features"] and "genre_initial" not in schema["numeric"]
    assert schema["categories"]["genre_initial"] == ["p", "r"]
    assert "age_in_months" in profile["missing_share"]


@pytest.mark.parametrize(
    ("add_features", "message"),
    [
        (lambda rows: rows.drop(columns=["age"]), "add_features() removed column 'age' of interactions.csv"),
        (lambda rows: None, "add_features() must return the rows it was given"),
    ],
    ids=["removes-a-column", "returns-nothing"],
)
def test_an_add_features_that_breaks_the_rows_is_named(tables, monkeypatch, add_features, message):
    monkeypatch.setattr(features, "add_features", add_features)
    main, lookups = tables
    with pytest.raises(PipelineError, match=re.escape(message)):
        build_dataset(main, lookups, DATA_PARAMS, SPLIT_PARAMS)
