"""The row transform: how a raw row of the main table becomes what the model reads.

    chosen_columns     which columns are features, decided once by preprocess from params.yaml (an
                       `auto` list typed from the tables: core/columns.py), each date column
                       replaced by its numeric parts; transform_settings: the same decision read
                       back from params.yaml and schema.json, for a bundle
    feature_rows       dates as numeric parts (core/columns.with_date_parts), numbers
                       (core/tables.to_numeric), categories, the lookup tables joined (their dates
                       split alike: clean_lookups), your add_features() (features.py): the joined
                       rows, every feature a column
    encoded_rows       as the processed splits store them: numbers as float32, categories as int32 codes
                       of schema.json's categories (-1: missing, or a value training never saw), the
                       count features from the training split's counts (0: an id training never saw),
                       and each feature whose name xgboost refuses under its model name (schema.json
                       "renamed")
    decoded_features   the model's input: categories restored from their codes, features in schema order

preprocess calls chosen_columns once (the Dask engine on the first partition), feature_rows on the
main table (the Dask engine on each partition) and stores encoded_rows' layout (the Dask engine
encodes each partition, then adds count_features once every partition's training rows are
counted); evaluate, sanity-check and train read the splits back with decoded_features; a served
request and `make predict` call feature_rows, encoded_rows and decoded_features with the
transform_settings, schema, lookups and counts that a bundle saved.
Which rows are learned from is preprocess's alone (core/rows.py: rows without a target, duplicate
rows): the transform turns every row it is given, and scoring never leaves one out.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.columns import AUTO, LISTS, column_list, date_columns, with_date_numbers, with_date_parts
from ..core.errors import PipelineError
from ..core.split import not_features
from ..core.tables import (
    Lookup,
    check_columns_joined,
    join_lookup,
    prepare_lookup,
    to_category,
    to_numeric,
    with_categories,
)
from ..features import choose_feature_columns, count_columns, count_feature, with_added_features


@dataclass(frozen=True)
class FeatureRows:
    """feature_rows' result: the rows with their features (no target), the target column as read
    (None when the rows have none), each lookup's share of rows that found their key, and the kind
    (numeric or categorical) of each column add_features() added."""

    rows: pd.DataFrame
    target: pd.Series | None
    coverage: dict[str, float]
    added: dict[str, str]


@dataclass(frozen=True)
class ChosenColumns:
    """chosen_columns' result: the numeric columns the transform reads (each date column as its
    parts' names), the categorical ones, data.count_columns, the date columns ({column: "date" or
    "datetime"}) and what `auto` decided (schema.json "columns"; {} for lists)."""

    numeric: list[str]
    categorical: list[str]
    counted: list[str]
    dates: dict[str, str]
    decisions: dict


def chosen_columns(data_params: dict, tables: list[pd.DataFrame], keys: set[str], split: dict) -> ChosenColumns:
    """The feature columns of `tables` (the main table, or its first partition, then the lookups):
    params.yaml's lists, an `auto` list typed from the data (features.choose_feature_columns), never
    the join `keys` or the split's column (`split`: core/split.split_settings); dates as numeric parts."""
    numeric, categorical, decisions = choose_feature_columns(data_params, tables, not_features(split, keys))
    dates = date_columns(tables, numeric)
    numeric = with_date_numbers(numeric, dates)
    return ChosenColumns(numeric, categorical, count_columns(data_params, numeric + categorical), dates, decisions)


def transform_settings(data_params: dict, schema: dict) -> dict:
    """The row transform's settings as preprocess chose them (chosen_columns), for a bundle: the
    lists params.yaml gives, an `auto` list as schema.json's "columns" recorded it, each date column
    as its parts (schema.json "dates"), the count columns and the target."""
    decided = schema.get("columns") or {}
    dropped = set(data_params.get("drop_columns") or [])
    lists = {}
    for kind, key in zip(("numeric", "categorical"), LISTS, strict=True):
        listed = column_list(data_params, key)
        lists[kind] = [column for column in (decided[kind] if listed == AUTO else listed) if column not in dropped]
    dates = schema.get("dates") or {}
    return {
        "numeric": with_date_numbers(lists["numeric"], dates),
        "categorical": lists["categorical"],
        "counted": list(schema["counts"].values()),
        "target": schema["target"],
        "dates": dates,
    }


def clean_lookups(
    lookups: list[tuple[pd.DataFrame, str]],
    numeric: list[str],
    categorical: list[str],
    dates: dict[str, str] | None = None,
) -> list[Lookup]:
    """(table, key) pairs as joins take them: dates as numeric parts, numbers and categories as in
    the main table, keys indexed.

    The join keys stay as read (compared as text), never categories.
    """
    keys = {key for _, key in lookups}
    cleaned = [
        (with_categories(to_numeric(with_date_parts(table, dates or {}), numeric), categorical, keys), key)
        for table, key in lookups
    ]
    return [prepare_lookup(table, key) for table, key in cleaned]


def feature_rows(
    main: pd.DataFrame,
    lookups: list[Lookup],
    numeric: list[str],
    categorical: list[str],
    counted: list[str],
    target: str,
    dates: dict[str, str] | None = None,
    allow_no_match: bool = False,
    allow_empty: bool = False,
) -> FeatureRows:
    """The main table's rows (attrs["source"] names them in errors) with each date column's numeric
    parts added, numbers as float32, categories cleaned, the lookups joined and your features added.

    numeric, categorical, counted, dates: as chosen_columns chose them (lookups: clean_lookups with
    the same). Every check names the file (or request), the column and the first bad row.
    allow_no_match: a lookup may match none of these rows (one partition of a table, one request);
    allow_empty: a numeric column may hold no value at all (new rows to score, not a table to learn from).
    """
    source = main.attrs["source"]
    keys = {lookup.key for lookup in lookups}
    joined = with_categories(to_numeric(with_date_parts(main, dates or {}), numeric, allow_empty), categorical, keys)
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
    if column.cat.categories.equals(dtype.categories):  # the rows preprocess made the schema from
        return codes.astype(np.int32)
    present = codes >= 0
    # Only the categories the rows use are looked up: a lookup table's column keeps all of its own
    # (thousands of artists), and one request uses a few.
    used = np.flatnonzero(np.bincount(codes[present], minlength=len(column.cat.categories)))
    recoded = np.full(len(column.cat.categories), -1, dtype=np.int32)
    recoded[used] = dtype.categories.get_indexer(column.cat.categories[used])
    result = np.full(len(codes), -1, dtype=np.int32)
    result[present] = recoded[codes[present]]
    return result


def read_names(schema: dict) -> dict[str, str]:
    """{model name: the column's name in the rows} for each feature renamed for the model (schema.json
    "renamed": xgboost takes no [, ] or < in a feature name, core/columns.model_names)."""
    return {new: old for old, new in (schema.get("renamed") or {}).items()}


def count_features(keys: pd.DataFrame, schema: dict, counts: dict[str, pd.Series]) -> dict[str, np.ndarray]:
    """{count feature, by its model name: its values} for rows whose count columns' values are `keys`
    (columns by their names in the rows), from the training split's counts (features.training_counts)."""
    return {name: count_feature(keys[column], counts[column]) for name, column in schema["counts"].items()}


def encoded_rows(
    rows: pd.DataFrame,
    schema: dict,
    counts: dict[str, pd.Series] | None = None,
    dtypes: dict[str, pd.CategoricalDtype] | None = None,
) -> pd.DataFrame:
    """feature_rows' rows as the processed splits store them, without the target: the numeric
    features (float32), the categorical ones as codes (category_codes), then, given the training
    split's counts (features.training_counts), the count features; each column under its model
    name (read_names)."""
    dtypes = dtypes if dtypes is not None else category_dtypes(schema)
    names = read_names(schema)
    numeric = [column for column in schema["numeric"] if column not in schema["counts"]]
    for column in numeric:
        if isinstance(rows[names.get(column, column)].dtype, pd.CategoricalDtype):
            raise PipelineError(
                f"features.py: add_features() made {names.get(column, column)!r} text for these rows; it was a "
                "number in training"
            )
    columns = {column: rows[names.get(column, column)].to_numpy(dtype=np.float32) for column in numeric}
    columns |= {column: category_codes(rows[names.get(column, column)], dtype) for column, dtype in dtypes.items()}
    if counts is not None:
        columns |= count_features(rows, schema, counts)
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
