"""A request's rows, checked against the columns the bundle's model reads (bundle.json `columns`)
before anything is scored. Each problem is a RequestError with the HTTP status to answer and one
line naming the row and field: rows[3].bd, not a traceback.

JSON: a list of objects, one per row, column name -> value. A "number" column takes a finite number
or null (a missing value); a "text" column a string, a number (ids and codes are often numbers) or
null; a "date" column a date as text, 2017-03-01 (or 2017-03-01 14:05:00), or null: the row
transform splits it into numeric parts as preprocess did (core/columns.with_date_parts). Other
keys are ignored (the target, say). CSV: the same reader as training (dataset.parse_csv), so
numbers, missing values, text and dates are read as preprocess read them.
"""

import io
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.columns import date_kind
from ..core.errors import PipelineError
from ..core.tables import FLOAT32_MAX
from ..dataset import parse_csv

SOURCE = "request"


class RequestError(Exception):
    """Bad input: answered with `status` and this one-line message, never with a 500."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _number(value, where: str):
    if value is None:
        return np.nan
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RequestError(422, f"{where}: expected a number or null, got {json.dumps(value)[:60]}")
    number = float(value) if not isinstance(value, int) or abs(value) <= FLOAT32_MAX else math.inf
    if not math.isfinite(number) or abs(number) > FLOAT32_MAX:
        raise RequestError(422, f"{where}: {value!r} is not a finite number a model can read (NaN, inf or too large)")
    return number


def _text(value, where: str):
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise RequestError(422, f"{where}: the text is not valid Unicode (a lone surrogate)") from None
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RequestError(422, f"{where}: expected text, a number or null, got {json.dumps(value)[:60]}")
    if isinstance(value, float) and not math.isfinite(value):
        raise RequestError(422, f"{where}: {value!r} is not a value (NaN or inf)")
    return value


def _date(value, where: str):
    if value is None or isinstance(value, str):
        return _text(value, where)
    raise RequestError(422, f"{where}: expected a date as text (YYYY-MM-DD) or null, got {json.dumps(value)[:60]}")


READERS = {"number": _number, "text": _text, "date": _date}


def rows_from_json(body: bytes, columns: dict[str, str], max_rows: int) -> tuple[pd.DataFrame, list[dict]]:
    """(the rows as a frame the scorer takes, the rows as checked: what the request log keeps)."""
    try:
        rows = json.loads(body)
    except (ValueError, RecursionError) as error:  # JSONDecodeError, UnicodeDecodeError, too many digits
        raise RequestError(400, f"the body is not valid JSON ({str(error)[:120]})") from None
    if not isinstance(rows, list):
        raise RequestError(422, "the body must be a JSON list of rows, each an object of column: value")
    return checked_rows(rows, columns, max_rows)


def checked_rows(rows: list, columns: dict[str, str], max_rows: int) -> tuple[pd.DataFrame, list[dict]]:
    """Rows given as JSON objects (a request's, or the request log's), checked and made a frame."""
    check_row_count(len(rows), max_rows)
    values: dict[str, list] = {column: [] for column in columns}
    kept = []
    for number, row in enumerate(rows):
        if not isinstance(row, dict):
            raise RequestError(
                422, f"rows[{number}]: a row is a JSON object of column: value, not {type(row).__name__}"
            )
        for column, kind in columns.items():
            where = f"rows[{number}].{column}"
            if column not in row:
                raise RequestError(422, f"{where} is missing (the model reads {', '.join(columns)})")
            values[column].append(READERS[kind](row[column], where))
        kept.append({column: row[column] for column in columns})
    frame = pd.DataFrame(
        {
            column: np.asarray(values[column], dtype=np.float64)
            if kind == "number"
            else pd.Series(values[column], dtype=object)
            for column, kind in columns.items()
        }
    )
    frame.attrs["source"] = SOURCE
    return frame, kept


def rows_from_csv(body: bytes, reading: dict, max_rows: int) -> tuple[pd.DataFrame, list[dict]]:
    """A CSV body read as preprocess reads a file (its header names the columns)."""
    try:
        frame = parse_csv(io.BytesIO(body), Path(SOURCE), reading)
    except PipelineError as error:
        raise RequestError(422, str(error)) from None
    check_row_count(len(frame), max_rows)
    frame.attrs["source"] = SOURCE
    return frame, records(frame)


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as JSON objects, a missing value as null and a date as its text, 2017-03-01 (what a
    client sends; pandas would write a date as milliseconds since 1970, or not at all)."""
    dates = [column for column in frame.columns if date_kind(frame[column]) is not None]
    if dates:
        frame = frame.copy()
        for column in dates:
            frame[column] = frame[column].astype("string")
    return json.loads(frame.to_json(orient="records"))


def check_row_count(rows: int, max_rows: int) -> None:
    if rows == 0:
        raise RequestError(422, "the request holds no rows")
    if rows > max_rows:
        raise RequestError(413, f"the request holds {rows} rows; at most {max_rows} (serve.max_rows in params.yaml)")
