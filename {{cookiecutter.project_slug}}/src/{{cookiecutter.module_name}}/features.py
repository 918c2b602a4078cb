"""The model's features: the columns params.yaml lists, the features you compute from them, and
count features. Both engines build them through this file, for training and test rows alike.

# ---- YOURS TO EDIT: your own features -------------------------------------------------------
# add_features() below receives the joined rows (the main table with its lookup tables joined,
# numbers as float32, categorical columns as pandas categories) and returns them with the columns
# you add. Every column it adds is a feature: numeric if it holds numbers, categorical otherwise;
# nothing else needs changing (preprocess records it in schema.json, and train, evaluate, the
# drift report and the gate use it). Keep each row's features computed from that row alone: the
# Dask engine calls add_features() on one block of rows at a time, and features that look at other
# rows (aggregates over the table) would leak the test split into training. Aggregates belong in
# count features (below), which are counted on the training split only.

Columns: `data.numeric_columns` and `data.categorical_columns` in params.yaml, less
`data.drop_columns`; either may be `auto`: typed from the data by core/columns.py's rule, which
preprocess prints and records in schema.json. Date columns become numeric parts (core/columns.py).

Count features (`data.count_columns`): for each listed column, the feature `<column>_count` is
how many rows of the training split share the row's value: 0 for a value the training split
never saw, missing for a missing value. Trees split poorly on ids with thousands of
values, but how often an id occurs (how popular a song, an artist or a member is) is a single
number they split on well and cheaply. The counts are saved in data/processed/counts.parquet
(column, value, count): what scoring new rows needs besides the model and schema.json.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from .core.columns import AUTO, check_column_lists, column_list, infer_columns
from .core.errors import PipelineError
from .core.tables import text_positions, to_category


def add_features(rows: pd.DataFrame) -> pd.DataFrame:
    """Your own features, computed from each row's columns; return `rows` with them added.

    For example (song_length is in milliseconds; a feature of its own in minutes):
        rows["song_minutes"] = rows["song_length"] / 60_000
        rows["first_genre"] = rows["genre_ids"].astype("string").str.split("|").str[0]
    """
    return rows


def feature_columns(data_params: dict) -> tuple[list[str], list[str]]:
    """(numeric, categorical) feature columns that params.yaml lists, less data.drop_columns
    (lists only: `auto` needs the tables, choose_feature_columns)."""
    numeric, categorical, _ = choose_feature_columns(data_params, [], {})
    return numeric, categorical


def choose_feature_columns(data_params: dict, tables: list[pd.DataFrame], excluded: dict[str, str]):
    """(numeric, categorical, decisions): the feature columns params.yaml lists, or, for a list that
    is `auto`, those core/columns.infer_columns finds in `tables` (the main table first), less
    data.drop_columns; decisions says what auto decided ({} for lists)."""
    numeric, categorical = column_list(data_params, "numeric_columns"), column_list(data_params, "categorical_columns")
    check_column_lists(data_params, numeric, categorical)
    decisions: dict = {}
    if AUTO in (numeric, categorical):
        if not tables:
            raise PipelineError("data.numeric_columns or data.categorical_columns is auto: the tables decide them")
        numeric, categorical, decisions = infer_columns(tables, data_params, numeric, categorical, excluded)
    dropped = set(data_params.get("drop_columns") or [])
    numeric = [column for column in numeric if column not in dropped]
    categorical = [column for column in categorical if column not in dropped]
    if not numeric + categorical:
        raise PipelineError("params.yaml: data.numeric_columns and data.categorical_columns are both empty")
    return numeric, categorical, decisions


def with_added_features(rows: pd.DataFrame, source: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """`rows` after add_features(), the added columns typed as the pipeline keeps features
    (numbers as float32, the rest as categories); and each added column's kind, numeric or categorical."""
    before = list(rows.columns)
    added_rows = add_features(rows.copy(deep=False))
    if not isinstance(added_rows, pd.DataFrame) or len(added_rows) != len(rows):
        raise PipelineError("features.py: add_features() must return the rows it was given, with columns added")
    kinds = {}
    for column in (name for name in added_rows.columns if name not in before):
        values = added_rows[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            kinds[column] = "numeric"
            added_rows[column] = values.astype(np.float32)
        else:
            kinds[column] = "categorical"
            added_rows[column] = to_category(values)
    missing = [column for column in before if column not in added_rows.columns]
    if missing:
        raise PipelineError(f"features.py: add_features() removed column {missing[0]!r} of {source}; add, do not drop")
    return added_rows, kinds


# --- Count features (params.yaml data.count_columns) ------------------------------------------
SUFFIX = "_count"


def count_columns(data_params: dict, features: list[str]) -> list[str]:
    """data.count_columns, checked: names, listed once, whose feature names are not taken."""
    columns = data_params.get("count_columns") or []
    if not isinstance(columns, list) or not all(isinstance(column, str) and column for column in columns):
        raise PipelineError(f"params.yaml: data.count_columns must be a list of column names, not {columns!r}")
    for column in columns:
        if columns.count(column) > 1:
            raise PipelineError(f"params.yaml: data.count_columns lists {column!r} twice")
        if count_feature_name(column) in features:
            raise PipelineError(
                f"params.yaml: data.count_columns' {column!r} would add the feature {count_feature_name(column)!r}, "
                "which is already a feature column; rename one of them"
            )
    return columns


def count_feature_name(column: str) -> str:
    return f"{column}{SUFFIX}"


def as_keys(values: pd.Series) -> pd.Series:
    """A column's values as the text they are counted by, so both engines and every partition agree."""
    return values.astype("string[pyarrow]")


def training_counts(keys: pd.DataFrame) -> dict[str, pd.Series]:
    """Per column of `keys` (the training rows' values), the rows per distinct value."""
    return {column: value_counts(keys[column]) for column in keys.columns}


def value_counts(values: pd.Series) -> pd.Series:
    """How many rows hold each value (as_keys' text), most frequent first; a category's rows are
    counted by their codes, not by their text."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return as_keys(values).value_counts(dropna=True)
    counts = np.bincount(values.cat.codes.to_numpy() + 1, minlength=len(values.cat.categories) + 1)[1:]
    index = pd.Index(as_keys(pd.Series(values.cat.categories)), name=values.name)
    counted = pd.Series(counts, index=index, name="count")
    return counted[counts > 0].sort_values(ascending=False, kind="stable")


def add_counts(counts: dict[str, pd.Series], partials: list[dict[str, pd.Series]]) -> dict[str, pd.Series]:
    """The sum of several training_counts results (partitions of the training split)."""
    for partial in partials:
        for column, values in partial.items():
            counts[column] = counts[column].add(values, fill_value=0) if column in counts else values
    return counts


def count_feature(keys: pd.Series, counts: pd.Series) -> np.ndarray:
    """The count feature of `keys` (float32): the value's training rows, 0 if unseen, NaN if missing."""
    positions = text_positions(counts.index, keys)  # compared as as_keys' text
    counted = np.where(positions >= 0, counts.to_numpy(dtype=np.float64)[positions], 0.0)
    counted[keys.isna().to_numpy()] = np.nan
    return counted.astype(np.float32)


def with_count_features(split: pd.DataFrame, keys: pd.DataFrame, counts: dict[str, pd.Series]) -> pd.DataFrame:
    """`split` with a count feature per column of `keys` (the split's own rows' values, same order)."""
    split = split.copy(deep=False)
    for column in keys.columns:
        split[count_feature_name(column)] = count_feature(keys[column], counts[column])
    return split


def write_counts(counts: dict[str, pd.Series], path: Path) -> None:
    """The counts as a table (column, value, count), for scoring new rows as the splits were built."""
    tables = [
        pd.DataFrame({"column": column, "value": values.index.astype(str), "count": values.to_numpy(dtype=np.int64)})
        for column, values in counts.items()
    ]
    empty = pd.DataFrame(
        {"column": pd.Series(dtype=str), "value": pd.Series(dtype=str), "count": pd.Series(dtype="int64")}
    )
    (pd.concat(tables, ignore_index=True) if tables else empty).to_parquet(path, index=False)
