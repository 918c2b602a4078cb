"""Rules for raw tables that both engines apply alike: numbers, categories, labels and joins.

Every problem is a PipelineError that names the file (a table's attrs["source"]), the column and
the first row at fault, so the local and the Dask engine report the same line.
"""

import datetime
from dataclasses import dataclass

import numpy as np
import pandas as pd
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
    """Strings (numbers become text), stripped, empty -> missing, as a pandas category.

    A column that is a category already is cleaned once per distinct value, not once per row,
    and keeps only the categories its rows use.
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        cleaned = to_category(pd.Series(column.cat.categories))
        old_codes = column.cat.codes.to_numpy()
        codes = np.where(old_codes >= 0, cleaned.cat.codes.to_numpy()[old_codes], -1)
        categorical = pd.Categorical.from_codes(codes, categories=cleaned.cat.categories)
        return pd.Series(categorical, index=column.index, name=column.name).cat.remove_unused_categories()
    text = column.astype("string[pyarrow]").str.strip()
    return text.mask(text == "").astype("category")


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
    """
    if pd.api.types.is_float_dtype(column):  # a NaN here is a number, which astype(string) would hide
        column = column.where(np.isfinite(column.to_numpy(dtype=np.float64, na_value=np.nan)))
    text = column.astype("string[pyarrow]").str.strip()
    spellings = pd.Series(pd.unique(text.dropna()), dtype=object)
    numbers = pd.to_numeric(spellings, errors="coerce")
    canonical = {}
    for spelling, number in zip(spellings, numbers, strict=True):
        if spelling == "" or (pd.notna(number) and not np.isfinite(number)) or spelling.lower() in ("nan", "-nan"):
            canonical[spelling] = pd.NA
        else:
            canonical[spelling] = _number_label(number) if pd.notna(number) else spelling
    return text.map(canonical).astype("string[pyarrow]")


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
    positions = lookup.index.get_indexer(main[key].astype("string[pyarrow]"))
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
