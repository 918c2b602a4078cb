"""Count features (params.yaml data.count_columns), made by preprocess for both engines.

For each listed column, the feature `<column>_count` is how many rows of the training split
share the row's value: 0 for a value the training split never saw, missing for a missing
value. Only training rows are counted, so nothing about the test split leaks into a feature.

Trees split poorly on ids with thousands of values, but how often an id occurs (how popular a
song, an artist or a member is) is a single number they split on well and cheaply. The counts
are saved in data/processed/counts.parquet (column, value, count), which is what scoring new
rows needs besides the model and schema.json.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from .common import PipelineError

SUFFIX = "_count"
COUNTS_FILE_NAME = "counts.parquet"


def count_columns(data_params: dict, features: list[str]) -> list[str]:
    """data.count_columns, checked: names, listed once, whose feature names are not taken."""
    columns = data_params.get("count_columns") or []
    if not isinstance(columns, list) or not all(isinstance(column, str) and column for column in columns):
        raise PipelineError(f"params.yaml: data.count_columns must be a list of column names, not {columns!r}")
    for column in columns:
        if columns.count(column) > 1:
            raise PipelineError(f"params.yaml: data.count_columns lists {column!r} twice")
        if feature_name(column) in features:
            raise PipelineError(
                f"params.yaml: data.count_columns' {column!r} would add the feature {feature_name(column)!r}, "
                "which is already a feature column; rename one of them"
            )
    return columns


def feature_name(column: str) -> str:
    return f"{column}{SUFFIX}"


def as_keys(values: pd.Series) -> pd.Series:
    """A column's values as the text they are counted by, so both engines and every partition agree."""
    return values.astype("string[pyarrow]")


def training_counts(keys: pd.DataFrame) -> dict[str, pd.Series]:
    """Per column of `keys` (the training rows' values), the rows per distinct value."""
    return {column: as_keys(keys[column]).value_counts(dropna=True) for column in keys.columns}


def add_counts(counts: dict[str, pd.Series], partials: list[dict[str, pd.Series]]) -> dict[str, pd.Series]:
    """The sum of several training_counts results (partitions of the training split)."""
    for partial in partials:
        for column, values in partial.items():
            counts[column] = counts[column].add(values, fill_value=0) if column in counts else values
    return counts


def count_feature(keys: pd.Series, counts: pd.Series) -> np.ndarray:
    """The count feature of `keys` (float32): the value's training rows, 0 if unseen, NaN if missing."""
    keys = as_keys(keys)
    counted = keys.map(counts).astype("float64").fillna(0.0)
    return counted.where(keys.notna()).to_numpy(dtype=np.float32)


def with_count_features(split: pd.DataFrame, keys: pd.DataFrame, counts: dict[str, pd.Series]) -> pd.DataFrame:
    """`split` with a count feature per column of `keys` (the split's own rows' values, same order)."""
    split = split.copy(deep=False)
    for column in keys.columns:
        split[feature_name(column)] = count_feature(keys[column], counts[column])
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
