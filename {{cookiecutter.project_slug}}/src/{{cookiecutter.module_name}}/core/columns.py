"""Which columns are features, and how a column becomes one: both engines decide alike.

params.yaml's `data.numeric_columns` and `data.categorical_columns` are lists of names, or
`auto`. With `auto` preprocess types every other column of the joined tables from the data, by
this rule (infer_columns), prints what it decided and records it in schema.json ("columns"):

  - left out: the target, data.drop_columns, the lookups' join keys, the column a group or time
    split goes by (preprocess.group_column, time_column), a column without a single value, and
    ids: text where every row of its table holds its own value (names, codes), or whole numbers
    where every row of the main table does (row numbers, order ids; in a lookup table such
    numbers are more often measurements, a song's length in ms);
  - numbers -> numeric; dates and date-times -> numeric, as their parts (below);
  - text and true/false -> categorical.

A list names its columns exactly; `auto` for one list and names in the other types the rest.
A column in both lists, or the target among the features, is refused (check_column_lists).

Dates: a column the CSV reader reads as dates (2017-03-01) or date-times (2017-03-01 14:05:00),
or a Parquet date or timestamp column, listed as numeric (or found by `auto`), becomes the
numeric features <column>_year, _month, _day and _weekday (0 is Monday), and _hour for a
date-time (date_parts). Trees split on those; the date itself is not a number they can use.

Names: xgboost refuses a feature name holding [, ] or < (`school[yrs]`). Such a column is
renamed for the model (model_names: [ -> (, ] -> ), < -> lt) and preprocess says so; the
mapping is recorded in schema.json ("renamed") for scoring new rows.
"""

import numpy as np
import pandas as pd
import pyarrow as pa

from .errors import PipelineError

AUTO = "auto"
LISTS = ("numeric_columns", "categorical_columns")


def column_list(data_params: dict, key: str) -> list[str] | str:
    """data.<key>: a list of column names, or "auto"; anything else is one line naming the key."""
    value = data_params.get(key)
    if value is None:
        return []
    if value == AUTO:
        return AUTO
    if not isinstance(value, list) or not all(isinstance(name, str) and name for name in value):
        raise PipelineError(f"params.yaml: data.{key} is {value!r}; give a list of column names, or auto")
    return value


def check_column_lists(data_params: dict, numeric, categorical) -> None:
    """No column in both lists, and the target in neither (nor among data.count_columns)."""
    target = data_params["target"]
    if isinstance(numeric, list) and isinstance(categorical, list):
        both = next((name for name in numeric if name in categorical), None)
        if both is not None:
            raise PipelineError(
                f"params.yaml: column {both!r} is in both data.numeric_columns and data.categorical_columns; "
                "keep it in one"
            )
    for key, names in (("numeric_columns", numeric), ("categorical_columns", categorical)):
        if isinstance(names, list) and target in names:
            raise PipelineError(
                f"params.yaml: the target {target!r} is also listed in data.{key}; a feature cannot be the "
                "answer: remove it from the list"
            )
    if target in (data_params.get("count_columns") or []):
        raise PipelineError(
            f"params.yaml: the target {target!r} is listed in data.count_columns; counting it would leak the "
            "answer: remove it"
        )


# --- Inferred columns (auto) --------------------------------------------------------------
def infer_columns(tables: list[pd.DataFrame], data_params: dict, numeric, categorical, excluded: dict[str, str]):
    """(numeric, categorical, decisions): the feature columns of `tables` (the main table first,
    then the lookups) with each `auto` list filled by the typing rule of this module's docstring.

    `excluded`: columns that are no features whatever their values, with why (join keys, the split's column).
    decisions: what auto decided, for schema.json and preprocess's printout: the columns each
    auto list took and, per column left out, why.
    """
    dropped = set(data_params.get("drop_columns") or [])
    fixed = set(numeric if isinstance(numeric, list) else []) | set(
        categorical if isinstance(categorical, list) else []
    )
    found: dict[str, list[str]] = {"numeric": [], "categorical": []}
    left_out: dict[str, str] = {}
    seen: set[str] = set()
    for number, table in enumerate(tables):
        for column in table.columns:
            if column in seen or column in fixed:
                continue
            seen.add(column)
            reason = _left_out_because(table, column, data_params["target"], dropped, excluded, main=number == 0)
            if reason:
                left_out[str(column)] = reason
            else:
                found[column_kind(table[column])].append(column)
    decisions: dict = {"rule": "auto"}
    if numeric == AUTO:
        numeric, decisions["numeric"] = found["numeric"], found["numeric"]
    if categorical == AUTO:
        categorical, decisions["categorical"] = found["categorical"], found["categorical"]
    decisions["left_out"] = left_out
    return numeric, categorical, decisions


def column_kind(values: pd.Series) -> str:
    """numeric for numbers, dates and date-times; categorical for text and true/false."""
    if pd.api.types.is_bool_dtype(values):
        return "categorical"
    if pd.api.types.is_numeric_dtype(values) or date_kind(values) is not None:
        return "numeric"
    return "categorical"


def _left_out_because(
    table: pd.DataFrame, column, target: str, dropped: set, excluded: dict[str, str], main: bool
) -> str:
    if column == target:
        return "the target"
    if column in dropped:
        return "data.drop_columns"
    if column in excluded:
        return excluded[column]
    values = table[column]
    if not values.notna().any():
        return "no values"
    text = not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values) or date_kind(values))
    could_be_id = text or (main and pd.api.types.is_integer_dtype(values))
    if could_be_id and len(values) > 1 and values.is_unique:
        return "an id: every row holds its own value"
    return ""


SHOWN = 12  # columns named per kind in preprocess's printout


def describe_decisions(decisions: dict) -> list[str]:
    """preprocess's printout of what auto decided, one line per kind."""
    lines = []
    for kind in ("numeric", "categorical"):
        if kind in decisions:
            columns = decisions[kind]
            names = ", ".join(columns[:SHOWN]) or "none"
            if len(columns) > SHOWN:
                names += f", ... ({len(columns)} in all: data/processed/schema.json lists them)"
            lines.append(f"columns auto: {kind} {names}")
    if decisions.get("left_out"):
        shown = "; ".join(f"{name!r} ({why})" for name, why in decisions["left_out"].items())
        lines.append(f"columns auto: left out {shown}")
    return lines


# --- Dates as numbers ---------------------------------------------------------------------
DATE_PARTS = ("year", "month", "day", "weekday")


def date_kind(values: pd.Series) -> str | None:
    """ "date" or "datetime" for a column of dates or date-times (as read), else None."""
    dtype = values.dtype
    if isinstance(dtype, pd.ArrowDtype):
        if pa.types.is_date(dtype.pyarrow_dtype):
            return "date"
        if pa.types.is_timestamp(dtype.pyarrow_dtype):
            return "datetime"
        return None
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    return None


def date_columns(tables: list[pd.DataFrame], numeric: list[str]) -> dict[str, str]:
    """The numeric columns that hold dates or date-times in the tables that have them: {column: kind}."""
    dates = {}
    for table in tables:
        for column in numeric:
            if column in table.columns and column not in dates and (kind := date_kind(table[column])):
                dates[column] = kind
    return dates


def date_part_names(column: str, kind: str) -> list[str]:
    parts = DATE_PARTS + (("hour",) if kind == "datetime" else ())
    return [f"{column}_{part}" for part in parts]


def with_date_numbers(numeric: list[str], dates: dict[str, str]) -> list[str]:
    """The numeric feature list with each date column replaced by its parts' names."""
    expanded = []
    for column in numeric:
        expanded += date_part_names(column, dates[column]) if column in dates else [column]
    return expanded


def with_date_parts(table: pd.DataFrame, dates: dict[str, str]) -> pd.DataFrame:
    """`table` with the numeric parts of each of its date columns added (float32; missing stays
    missing); the date column itself stays, for a time split to go by. Text that is not a date, in
    a column read as dates elsewhere (another block of rows), is refused naming the column, the
    row and the text as the file has it."""
    present = [column for column in dates if column in table.columns]
    if not present:
        return table
    converted = table.copy(deep=False)
    converted.attrs = table.attrs
    for column in present:
        values = table[column]
        if date_kind(values) is None:
            text = values.astype("string[pyarrow]").str.strip()
            parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
            bad = (text.notna() & (text != "") & parsed.isna()).to_numpy(dtype=bool, na_value=False)
            if bad.any():
                row = int(np.argmax(bad))
                raise PipelineError(
                    f"{table.attrs['source']}: column {column!r} holds dates elsewhere but has {text.iloc[row]!r} at "
                    f"data row {row + 1}; write dates as YYYY-MM-DD (or YYYY-MM-DD HH:MM:SS), or list the column "
                    "under categorical_columns"
                )
            values = parsed
        stamps = values.astype("datetime64[ns]")  # Arrow dates and times alike; a missing date is NaT
        parts = {
            "year": stamps.dt.year,
            "month": stamps.dt.month,
            "day": stamps.dt.day,
            "weekday": stamps.dt.day_of_week,
            "hour": stamps.dt.hour,
        }
        for name in date_part_names(column, dates[column]):
            if name in table.columns:
                raise PipelineError(
                    f"{table.attrs['source']}: column {name!r} is also the name of a part of date column {column!r}; "
                    "rename one of them"
                )
            part = parts[name.removeprefix(f"{column}_")]
            converted[name] = part.to_numpy(dtype=np.float32, na_value=np.nan)
    return converted


# --- Names the model takes ----------------------------------------------------------------
FORBIDDEN = {"[": "(", "]": ")", "<": "lt"}


def model_names(features: list[str]) -> dict[str, str]:
    """{column: name for the model} for each feature whose name xgboost refuses ([, ] or <); a new
    name that another feature already has is refused, naming both."""
    renamed = {}
    for name in features:
        safe = name
        for bad, good in FORBIDDEN.items():
            safe = safe.replace(bad, good)
        if safe != name:
            if safe in features:
                raise PipelineError(
                    f"column {name!r}: xgboost takes no [, ] or < in a feature name, and its safe name {safe!r} is "
                    "another column's; rename one of them in the data"
                )
            renamed[name] = safe
    return renamed


def describe_renames(renamed: dict[str, str]) -> list[str]:
    return [
        f"renamed column {old!r} to {new!r} for the model (xgboost takes no [, ] or < in a feature name)"
        for old, new in renamed.items()
    ]
