"""Which rows of the main table preprocess keeps: rows without a target, and duplicate rows.

params.yaml:
  data.missing_target  error: a row without a target stops preprocess, naming the first (the default);
                       drop: such rows are left out before the split, and preprocess says how many.
  data.duplicates      warn: rows equal in every column of the main table to an earlier row are
                       counted, and preprocess warns with their count and share (the default);
                       drop: they are left out before the split, so no copy of a training row is
                       tested (a copy in both splits scores the model on rows it learned);
                       keep: repeated rows are real repeated events: no check, no cost.

Rows are compared by a 64-bit hash of all their values (row_hashes): the same in both engines and
in every partition, vectorised (no Python loop per row). Two different rows share a hash with a
chance of about rows^2 / 2^65: one in a million at 7.4 M rows.
"""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .errors import PipelineError
from .tables import normalised_labels

MISSING_TARGET = ("error", "drop")
DUPLICATES = ("warn", "drop", "keep")


def row_settings(data_params: dict) -> dict:
    """data.missing_target and data.duplicates, checked."""
    settings = {
        "missing_target": data_params.get("missing_target", "error"),
        "duplicates": data_params.get("duplicates", "warn"),
    }
    for key, allowed in (("missing_target", MISSING_TARGET), ("duplicates", DUPLICATES)):
        if settings[key] not in allowed:
            raise PipelineError(f"params.yaml: data.{key} is {settings[key]!r}; choose one of {', '.join(allowed)}")
    return settings


def kept_rows(target: pd.Series | None, hashes: np.ndarray | None, settings: dict) -> tuple[np.ndarray, dict]:
    """(True for each row that preprocess keeps, what it found) from the main table's target column
    (None when the table lacks it: the target's checks say so) and its row_hashes (None with
    data.duplicates: keep). data.missing_target: error leaves a missing target to the target's
    checks, which name its row. found: missing_target_dropped, duplicate_rows, duplicates_dropped."""
    rows = len(target) if target is not None else len(hashes) if hashes is not None else 0
    keep = np.ones(rows, dtype=bool)
    found = {}
    if settings["missing_target"] == "drop" and target is not None:
        missing = missing_targets(target)
        keep &= ~missing
        found["missing_target_dropped"] = int(missing.sum())
    if hashes is not None:
        duplicated = duplicated_rows(hashes)
        found["duplicate_rows"] = int(duplicated.sum())
        if settings["duplicates"] == "drop":
            keep &= ~duplicated
            found["duplicates_dropped"] = int(duplicated.sum())
    return keep, found


def missing_targets(column: pd.Series) -> np.ndarray:
    """True for each row whose target is missing: empty, or NaN or infinite written out.

    Judged once per distinct value (a regression target may have millions; a label for every
    row took 2 GB at 74 M rows), then given to each row by its value's code."""
    codes, distinct = pd.factorize(column)  # NaN: -1, the last entry below
    missing = np.append(normalised_labels(pd.Series(distinct)).isna().to_numpy(dtype=bool), True)
    return missing[codes]


def row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """A uint64 hash of each row's values, equal for equal rows whatever block of rows they are in.

    Each column is dictionary-encoded (pyarrow, in C++) and only its distinct values are hashed
    (pandas' hash_array); the rows' hashes are taken from those and mixed column by column. At
    7.4 M rows of six columns, on 2 busy cores: 2.7 s, against 4.4 s for pandas' hash_pandas_object;
    finding the repeated hashes costs about 1 s more.
    """
    hashes = np.full(len(frame), 0x345678, dtype=np.uint64)
    multiplier = np.uint64(1000003)
    for number, column in enumerate(frame.columns):
        encoded = pc.dictionary_encode(_arrow(frame[column])).combine_chunks()
        table = np.append(_value_hashes(encoded.dictionary), np.uint64(0x9E3779B97F4A7C15))  # last: missing
        codes = encoded.indices.fill_null(len(encoded.dictionary)).to_numpy(zero_copy_only=False)
        with np.errstate(over="ignore"):
            hashes = (hashes ^ table[codes]) * multiplier
        multiplier += np.uint64(82520 + 2 * (len(frame.columns) - number))
    return hashes


def _value_hashes(distinct: pa.Array) -> np.ndarray:
    """A hash per distinct value; numbers by their float64 value, so 1 in a block of whole numbers
    hashes as 1.0 in a block that has fractions (a CSV reader types each block by what it holds)."""
    if not len(distinct):
        return np.array([], dtype=np.uint64)
    if pa.types.is_integer(distinct.type) or pa.types.is_floating(distinct.type):
        return pd.util.hash_array(distinct.cast(pa.float64()).to_numpy(zero_copy_only=False))
    return pd.util.hash_array(distinct.to_pandas().astype(str).to_numpy(dtype=object))


def _arrow(values: pd.Series) -> pa.ChunkedArray:
    """A column as an Arrow array of plain values (categories decoded), without copying Arrow-backed data."""
    if isinstance(values.dtype, pd.ArrowDtype):
        array = values.array.__arrow_array__()
    else:
        try:
            array = pa.chunked_array([pa.array(values, from_pandas=True)])
        except (pa.ArrowException, TypeError, ValueError):  # mixed Python objects
            array = pa.chunked_array([pa.array(values.astype("string[pyarrow]"))])
    if pa.types.is_dictionary(array.type):
        array = pc.cast(array, array.type.value_type)
    return array


def duplicated_rows(hashes: np.ndarray) -> np.ndarray:
    """True for each row equal to an earlier one (by row_hashes); the first of each stays."""
    return pd.Series(hashes).duplicated().to_numpy()


def describe_duplicates(source: str, duplicates: int, rows: int, setting: str) -> str:
    """preprocess's line about duplicate rows."""
    share = f"{duplicates} of {rows} rows ({duplicates / rows:.1%})"
    if setting == "drop":
        return f"data.duplicates: drop: left out {share} of {source} that repeat an earlier row in every column"
    return (
        f"warning: {source}: {share} repeat an earlier row in every column; a copy in both splits is tested on "
        "what the model learned: set data.duplicates: drop in params.yaml to leave them out (keep: they are real "
        "repeated events)"
    )
