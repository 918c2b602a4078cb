"""The row transform: how a raw row of the main table becomes what the model reads.

    feature_rows       numbers (core/tables.to_numeric), categories, the lookup tables joined, your
                       add_features() (features.py): the joined rows, every feature a column
    encoded_rows       as the processed splits store them: numbers as float32, categories as int32 codes
                       of schema.json's categories (-1: missing, or a value training never saw), and the
                       count features from the training split's counts (0: an id training never saw)
    decoded_features   the model's input: categories restored from their codes, features in schema order

preprocess calls feature_rows on the main table (the Dask engine on each partition) and stores
encoded_rows' layout; evaluate, sanity-check and train read the splits back with decoded_features;
a served request and `make predict` call all three with the schema, lookups and counts of a bundle.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.errors import PipelineError
from ..core.tables import (
    Lookup,
    check_columns_joined,
    join_lookup,
    prepare_lookup,
    to_category,
    to_numeric,
    with_categories,
)
from ..features import count_feature, with_added_features


@dataclass(frozen=True)
class FeatureRows:
    """feature_rows' result: the rows with their features (no target), the target column as read
    (None when the rows have none), each lookup's share of rows that found their key, and the kind
    (numeric or categorical) of each column add_features() added."""

    rows: pd.DataFrame
    target: pd.Series | None
    coverage: dict[str, float]
    added: dict[str, str]


def clean_lookups(lookups: list[tuple[pd.DataFrame, str]], numeric: list[str], categorical: list[str]) -> list[Lookup]:
    """(table, key) pairs as joins take them: numbers and categories as in the main table, keys indexed.

    The join keys stay as read (compared as text), never categories.
    """
    keys = {key for _, key in lookups}
    return [
        prepare_lookup(with_categories(to_numeric(table, numeric), categorical, keys), key) for table, key in lookups
    ]


def feature_rows(
    main: pd.DataFrame,
    lookups: list[Lookup],
    numeric: list[str],
    categorical: list[str],
    counted: list[str],
    target: str,
    allow_no_match: bool = False,
    allow_empty: bool = False,
) -> FeatureRows:
    """The main table's rows (attrs["source"] names them in errors) with numbers as float32,
    categories cleaned, the lookups joined and your features added.

    numeric, categorical: the feature columns params.yaml lists (features.feature_columns); counted:
    data.count_columns. Every check names the file (or request), the column and the first bad row.
    allow_no_match: a lookup may match none of these rows (one partition of a table, one request);
    allow_empty: a numeric column may hold no value at all (new rows to score, not a table to learn from).
    """
    source = main.attrs["source"]
    keys = {lookup.key for lookup in lookups}
    joined = with_categories(to_numeric(main, numeric, allow_empty), categorical, keys)
    coverage = {}
    for lookup in lookups:
        joined, coverage[lookup.source] = join_lookup(joined, lookup, source, allow_no_match)
    tables = [source, *coverage]
    check_columns_joined(joined, numeric + categorical, tables)
    check_columns_joined(joined, counted, tables, "data.count_columns")
    target_column = joined[target] if target in joined.columns else None
    rows, added = with_added_features(joined.drop(columns=[target], errors="ignore"), source)  # never the target
    return FeatureRows(rows, target_column, coverage, added)


def category_dtypes(schema: dict) -> dict[str, pd.CategoricalDtype]:
    """Each categorical feature's categories (schema.json), made once: a dtype keeps its lookup
    table, so coding many blocks of rows does not build it again for each."""
    return {column: pd.CategoricalDtype(categories) for column, categories in schema["categories"].items()}


def category_codes(values: pd.Series, dtype: pd.CategoricalDtype) -> np.ndarray:
    """Each value's int32 code among the schema's categories: -1 for a missing value, and for a value
    the training data never held (a new category reaches the model as a missing one)."""
    column = values if isinstance(values.dtype, pd.CategoricalDtype) else to_category(values)
    codes = column.cat.codes.to_numpy()
    present = codes >= 0
    # Only the categories the rows use are looked up: a lookup table's column keeps all of its own
    # (thousands of artists), and one request uses a few.
    used = np.flatnonzero(np.bincount(codes[present], minlength=len(column.cat.categories)))
    recoded = np.full(len(column.cat.categories), -1, dtype=np.int32)
    recoded[used] = dtype.categories.get_indexer(column.cat.categories[used])
    result = np.full(len(codes), -1, dtype=np.int32)
    result[present] = recoded[codes[present]]
    return result


def encoded_rows(
    rows: pd.DataFrame,
    schema: dict,
    counts: dict[str, pd.Series] | None = None,
    dtypes: dict[str, pd.CategoricalDtype] | None = None,
) -> pd.DataFrame:
    """feature_rows' rows as the processed splits store them, without the target: the numeric
    features (float32), the categorical ones as codes (category_codes), then, given the training
    split's counts (features.training_counts), the count features."""
    dtypes = dtypes if dtypes is not None else category_dtypes(schema)
    numeric = [column for column in schema["numeric"] if column not in schema["counts"]]
    for column in numeric:
        if isinstance(rows[column].dtype, pd.CategoricalDtype):
            raise PipelineError(
                f"features.py: add_features() made {column!r} text for these rows; it was a number in training"
            )
    columns = {column: rows[column].to_numpy(dtype=np.float32) for column in numeric}
    columns |= {column: category_codes(rows[column], dtype) for column, dtype in dtypes.items()}
    if counts is not None:
        columns |= {name: count_feature(rows[column], counts[column]) for name, column in schema["counts"].items()}
    encoded = pd.DataFrame(columns, index=rows.index)  # built at once: per-column inserts cost small requests most
    encoded.attrs = dict(rows.attrs)  # the source (and reading) of the rows, as the splits' files record it
    return encoded


def with_categories_restored(
    frame: pd.DataFrame, schema: dict, dtypes: dict[str, pd.CategoricalDtype] | None = None
) -> pd.DataFrame:
    """A frame in the splits' layout with its categorical columns back from codes to categories."""
    dtypes = dtypes if dtypes is not None else category_dtypes(schema)
    columns = {
        column: pd.Categorical.from_codes(frame[column].to_numpy(), dtype=dtypes[column])
        if column in dtypes
        else frame[column]
        for column in frame.columns
    }
    restored = pd.DataFrame(columns, index=frame.index)
    restored.attrs = dict(frame.attrs)
    return restored


def decoded_features(
    frame: pd.DataFrame, schema: dict, dtypes: dict[str, pd.CategoricalDtype] | None = None
) -> pd.DataFrame:
    """The model's input from a frame in the splits' layout: categories restored, features in schema order."""
    return with_categories_restored(frame, schema, dtypes)[schema["features"]]
