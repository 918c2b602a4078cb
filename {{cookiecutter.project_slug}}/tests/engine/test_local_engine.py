"""The local engine's dataset: joining, encoding, splitting, and errors that name the file and the column."""

import re

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.core.errors import PipelineError
from {{ cookiecutter.module_name }}.engine.local import build_dataset

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
