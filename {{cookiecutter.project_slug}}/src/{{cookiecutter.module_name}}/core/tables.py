"""Rules for raw tables that both engines apply alike: numbers, categories, labels and joins.

Every problem is a PipelineError that names the file (a table's attrs["source"]), the column and
the first row at fault, so the local and the Dask engine report the same line.
"""

import datetime
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.extensions import take

from .errors import PipelineError

FLOAT32_MAX = float(np.finfo(np.float32).max)


BOOLEAN_ADVICE = "; list a yes/no column under categorical_columns instead"


def to_numeric(table: pd.DataFrame, columns: list[str], allow_empty: bool = False) -> pd.DataFrame:
    """The table with its `columns` that it holds as float32.

    Checked on the whole table, before any join, so that every row counts: text that is not a
    number, a number float32 cannot hold, or a non-finite one (inf, NaN written out) is an
    error naming the file, the column and the row; data.non_finite: missing turns the last two
    into missing values instead. A column without a single value is an error too, unless
    allow_empty (rows to score: one request's row may well lack a value).
    """
    converted = table.copy()
    converted.attrs = table.attrs
    source = table.attrs["source"]
    for column in (name for name in columns if name in table.columns):
        # As a NumPy array: on pyarrow-backed text, coerced failures are NaN, which isna() does not see.
        if pd.api.types.is_bool_dtype(table[column]):
            _refuse_first(
                table[column].notna().to_numpy(), table, column, "should be numeric but has true/false", BOOLEAN_ADVICE
            )
        values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
        present = table[column].notna().to_numpy()
        if not present.any() and not allow_empty:
            raise PipelineError(
                f"{source}: column {column!r} has no values at all; fill it, or list it in drop_columns"
            )
        not_a_number = present & np.isnan(values)
        if not_a_number.any() and not pd.api.types.is_numeric_dtype(table[column]):
            # text, or NaN written out in a column read as text (a non-finite number, handled below)
            spelled = table[column].astype("string[pyarrow]").str.strip().str.lower()
            nan_spelling = spelled.isin(["nan", "+nan", "-nan"]).to_numpy(dtype=bool, na_value=False)
            _refuse_first(not_a_number & ~nan_spelling, table, column, "should be numeric but has text")
        unusable = present & ~(np.abs(values) <= FLOAT32_MAX)  # NaN and inf compare false
        if table.attrs.get("non_finite") == "missing":
            values[unusable] = np.nan
        else:
            _refuse_first(
                unusable,
                table,
                column,
                "has a non-finite or too large number",
                "; fix the data, or set data.non_finite: missing in params.yaml to read such values as missing",
            )
        converted[column] = values.astype(np.float32)
    return converted


def _refuse_first(bad: np.ndarray, table: pd.DataFrame, column: str, problem: str, advice: str = "") -> None:
    if bad.any():
        row = int(np.argmax(bad))
        raise PipelineError(
            f"{table.attrs['source']}: column {column!r} {problem} {as_written(table[column].iloc[row])!r} at data "
            f"row {row + 1}{advice}"
        )


def as_written(value):
    """A value as its file writes it: a date or a time as its text (2017-03-01), not Python's
    repr of the object the reader made of it; anything else as it is."""
    return str(value) if isinstance(value, datetime.date | datetime.time) else value


def to_category(column: pd.Series) -> pd.Series:
    """Strings (numbers become text), stripped, empty -> missing, as a pandas category (its
    categories sorted, only those its rows use).

    A column that is a category already is cleaned once per distinct value, not once per row; text
    read by pyarrow is cleaned and encoded by pyarrow (pandas would first turn each of 7.4 M values
    into a Python object: seconds per column at KKBox scale).
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        cleaned = to_category(pd.Series(column.cat.categories))
        old_codes = column.cat.codes.to_numpy()
        mapping = cleaned.cat.codes.to_numpy()
        if (mapping == np.arange(len(mapping))).all():  # clean already (a column this function made)
            return _category(old_codes, cleaned.cat.categories, column)
        return _category(np.where(old_codes >= 0, mapping[old_codes], -1), cleaned.cat.categories, column)
    if _is_arrow_text(column):
        text = pc.utf8_trim_whitespace(_arrow(column))
        encoded = pc.if_else(pc.equal(text, ""), pa.scalar(None, text.type), text).dictionary_encode()
        order = pc.array_sort_indices(encoded.dictionary).to_numpy()  # UTF-8 byte order: code point order
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        codes = encoded.indices.fill_null(-1).to_numpy()
        categories = pd.Index(pd.array(encoded.dictionary.take(order), dtype="string[pyarrow]"))
        return _category(np.where(codes >= 0, rank[codes], -1), categories, column)
    text = column.astype("string[pyarrow]").str.strip()
    return text.mask(text == "").astype("category")


def _is_arrow_text(column: pd.Series) -> bool:
    dtype = column.dtype
    if isinstance(dtype, pd.ArrowDtype):
        return pa.types.is_string(dtype.pyarrow_dtype) or pa.types.is_large_string(dtype.pyarrow_dtype)
    return isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"


def _arrow(column: pd.Series) -> pa.Array:
    """A pyarrow-backed column's values as one pyarrow array."""
    values = pa.array(column.array)
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _category(codes: np.ndarray, categories: pd.Index, like: pd.Series) -> pd.Series:
    """`like` as the category of these codes among `categories`, less the categories no row uses
    (counted with bincount: pandas' remove_unused_categories sorts every row's code)."""
    used = np.bincount(codes + 1, minlength=len(categories) + 1)[1:] > 0  # the +1: a missing value's -1
    if not used.all():
        codes = np.where(codes >= 0, (np.cumsum(used) - 1)[codes], -1)
        categories = categories[used]
    categorical = pd.Categorical.from_codes(codes, categories=categories)
    return pd.Series(categorical, index=like.index, name=like.name)


def text_positions(index: pd.Index, values: pd.Series) -> np.ndarray:
    """index.get_indexer(values) for text: each value's position in `index` (distinct text, a lookup's
    keys or counted values), -1 where it is not there or missing; values compared as their text
    (astype string[pyarrow]), a category's once per category.

    Many values (a table's rows) are hashed by pyarrow: pandas would make 7.4 M Python objects of
    them first. A few (a request's rows) by the index's own hash table, which pandas keeps: pyarrow
    would hash the whole index again on every call.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        per_category = text_positions(index, pd.Series(values.cat.categories))
        codes = values.cat.codes.to_numpy()
        return np.where(codes >= 0, per_category[codes], -1)
    keys = values.astype("string[pyarrow]")
    if len(keys) <= len(index):
        return index.get_indexer(keys)
    known = _arrow(pd.Series(index).astype("string[pyarrow]"))
    return pc.index_in(_arrow(keys), value_set=known).fill_null(-1).to_numpy(zero_copy_only=False)


def with_categories(table: pd.DataFrame, columns: list[str], keep: set[str]) -> pd.DataFrame:
    """The table with its `columns` (but not the join keys in `keep`) as categories.

    Done before the joins, so a lookup's text is cleaned once per lookup row and the join
    copies small integer codes to every main-table row instead of strings (at KKBox scale,
    7.4 M artist names).
    """
    converted = table.copy(deep=False)
    converted.attrs = table.attrs
    for column in (name for name in columns if name in table.columns and name not in keep):
        converted[column] = to_category(table[column])
    return converted


def normalised_labels(column: pd.Series) -> pd.Series:
    """Labels as text, one spelling per class: stripped, and numbers written alike ("1", "1.0", 1 -> "1").

    Empty text and non-finite numbers (NaN or inf written out) are missing labels, not classes.
    Worked out once per distinct value, then given to each row by its value's code.
    """
    codes, distinct = pd.factorize(column)
    values = pd.Series(distinct)
    if pd.api.types.is_float_dtype(values):  # a NaN here is a number, which astype(string) would hide
        values = values.where(np.isfinite(values.to_numpy(dtype=np.float64, na_value=np.nan)))
    spellings = values.astype("string[pyarrow]").str.strip().astype(object)
    numbers = pd.to_numeric(spellings, errors="coerce")
    canonical = [_label(spelling, number) for spelling, number in zip(spellings, numbers, strict=True)]
    labels = pd.array(canonical, dtype="string[pyarrow]").take(codes, allow_fill=True)
    return pd.Series(labels, index=column.index, name=column.name)


def class_labels(column: pd.Series) -> pd.Series:
    """normalised_labels(column) as a categorical, its classes sorted: the classes and codes that
    .astype("category") of those labels gives (as object-typed text), worked out per distinct
    value. A text label for every row, then sorted into classes, took 2 GB and 7 s at 74 M rows;
    this takes the row codes of one factorize."""
    codes, distinct = pd.factorize(column)  # NaN: -1, a missing label either way
    labels = normalised_labels(pd.Series(distinct))
    classes = pd.Index(sorted(labels.dropna().unique()), dtype=object)
    class_of_distinct = np.append(classes.get_indexer(labels.astype(object)), -1).astype(np.int32)
    rows = pd.Categorical.from_codes(class_of_distinct[codes], categories=classes)  # codes -1 take the -1
    return pd.Series(rows, index=column.index, name=column.name)


def _label(spelling, number: float):
    """One distinct value's label: missing (pd.NA), a number written alike, or the stripped text."""
    if pd.isna(spelling) or spelling == "" or spelling.lower() in ("nan", "-nan"):
        return pd.NA
    if pd.isna(number):
        return spelling
    return _number_label(number) if np.isfinite(number) else pd.NA


def _number_label(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else repr(float(number))


def check_columns_joined(joined: pd.DataFrame, columns: list[str], tables: list[str], setting: str = "data") -> None:
    """Every column params.yaml names (in `setting`) came from one of the joined tables."""
    for column in columns:
        if column not in joined.columns:
            raise PipelineError(
                f"column {column!r} (params.yaml: {setting}) is in none of the tables: {', '.join(tables)}"
            )


@dataclass(frozen=True)
class Lookup:
    """A lookup table ready to be joined on `key`: the key checked (present, each value once) and
    indexed once, so joining many blocks of rows (the Dask engine's partitions, a server's requests)
    does not check and index the whole table again for each."""

    table: pd.DataFrame
    key: str
    index: pd.Index

    @property
    def source(self) -> str:
        return self.table.attrs["source"]


def prepare_lookup(table: pd.DataFrame, key: str) -> Lookup:
    source = table.attrs["source"]
    if key not in table.columns:
        raise PipelineError(f"{source}: join key column {key!r} is missing (columns: {', '.join(table.columns)})")
    keys = table[key].astype("string[pyarrow]")
    duplicated = keys.duplicated()
    if duplicated.any():
        raise PipelineError(
            f"{source}: key column {key!r} has duplicate value {keys[duplicated].iloc[0]!r}; "
            "each key must appear once in a lookup table"
        )
    return Lookup(table, key, pd.Index(keys))


def join_lookup(
    main: pd.DataFrame, lookup: Lookup, main_source: str, allow_no_match: bool = False
) -> tuple[pd.DataFrame, float]:
    """Left-join `lookup` onto `main` by its key without a row-by-row loop; return coverage too.

    allow_no_match: a part of the main table may match nothing (the dask engine checks the whole;
    a served request may name only ids that training never saw).
    """
    key, source = lookup.key, lookup.source
    if key not in main.columns:
        raise PipelineError(f"{main_source}: join key column {key!r} is missing (columns: {', '.join(main.columns)})")
    positions = text_positions(lookup.index, main[key])
    coverage = float((positions >= 0).mean()) if len(positions) else 0.0
    if coverage == 0 and not allow_no_match:
        raise PipelineError(
            f"{source}: no value of key column {key!r} matches the main table {main_source}; "
            "check that both files use the same ids"
        )
    # A shallow copy: pandas copies on write, so adding columns leaves `main` untouched without
    # duplicating its data (at KKBox scale a deep copy per lookup is gigabytes).
    joined = main.copy(deep=False)
    for column in lookup.table.columns.drop(key):
        if column in joined.columns:
            raise PipelineError(f"{source}: column {column!r} is also in {main_source}; rename or drop one of them")
        joined[column] = take(lookup.table[column].array, positions, allow_fill=True)
    return joined, coverage
