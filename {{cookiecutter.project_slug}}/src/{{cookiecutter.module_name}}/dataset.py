"""Reading the raw tables that params.yaml names (`data:`): a file, or a folder of shards.

# ---- YOURS TO EDIT: how your raw tables are read ------------------------------------------
# The pipeline expects read_table() to return a pandas DataFrame of one table, with
# attrs["source"] naming where it came from (every error message names it). Reading a database
# or another format instead: return such a frame here. The Dask engine and make predict read big
# tables in blocks (read_part, below: CSV cut at line ends with parse_csv(), Parquet by row group)
# with the same checks.

A table's format is told by its file name: `.parquet` is Parquet; `.csv` is CSV, and
`.csv.gz`, `.csv.bz2` and `.csv.zst` are CSV compressed with gzip, bzip2 or zstd (pyarrow
decompresses them as it reads); any other name is read as CSV. A folder holds shards of one
table, every file of those names in it, concatenated in name order.

How CSV files are read is set under `data:` in params.yaml (encoding, missing_values,
non_finite). Every problem names the file, and the column and row where there is one: a byte
that is not valid in the encoding, a header with a repeated name, a row with more or fewer
fields than the header. The values (numbers, labels, keys) are checked once the tables are read
(core/tables.py).
"""

import codecs
import csv
import io
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .core.errors import PipelineError

# How CSV files are read; data.encoding / data.missing_values / data.non_finite in params.yaml.
DEFAULT_READING = {"encoding": "utf-8", "missing_values": ["", "NA", "N/A", "NULL", "null"], "non_finite": "error"}
# Large CSV files are read in blocks of about this size (cut at line ends): the Dask engine's
# partitions, and make predict's chunks.
BLOCK_BYTES = 128 * 1024 * 1024


def reading_params(data_params: dict) -> dict:
    reading = {key: data_params.get(key, default) for key, default in DEFAULT_READING.items()}
    if reading["non_finite"] not in ("error", "missing"):
        raise PipelineError(f"params.yaml: data.non_finite is {reading['non_finite']!r}; choose error or missing")
    return reading


# File names that say how a table is stored; any other file is read as plain CSV.
PARQUET_SUFFIXES = (".parquet", ".pq")
COMPRESSED_CSV_SUFFIXES = (".csv.gz", ".csv.bz2", ".csv.zst")
TABLE_SUFFIXES = (".csv", *COMPRESSED_CSV_SUFFIXES, *PARQUET_SUFFIXES)


def read_table(path: Path, reading: dict = DEFAULT_READING) -> pd.DataFrame:
    """One table file, or every table file of a folder concatenated in name order (shards)."""
    shards = shard_paths(path)
    frames = [read_table_file(shard, reading) for shard in shards]
    for shard, frame in zip(shards[1:], frames[1:], strict=True):
        if list(frame.columns) != list(frames[0].columns):
            raise PipelineError(
                f"{shard}: columns {list(frame.columns)} differ from those of {shards[0]} {list(frames[0].columns)}"
            )
    table = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    table.attrs["source"] = str(path)
    table.attrs["non_finite"] = reading["non_finite"]
    return table


def shard_paths(path: Path) -> list[Path]:
    """The files of a table: the file itself, or a folder's table files (TABLE_SUFFIXES) in name order."""
    if path.is_dir():
        shards = sorted(shard for shard in path.iterdir() if shard.name.endswith(TABLE_SUFFIXES))
        if not shards:
            raise PipelineError(f"{path}: folder has no table files ({', '.join(TABLE_SUFFIXES)})")
        return shards
    if path.exists():
        return [path]
    raise PipelineError(f"{path}: file not found (check data.raw_dir and the table names in params.yaml)")


def is_parquet(path: Path) -> bool:
    return path.name.endswith(PARQUET_SUFFIXES)


def is_compressed(path: Path) -> bool:
    return path.name.endswith(COMPRESSED_CSV_SUFFIXES)


def read_table_file(path: Path, reading: dict) -> pd.DataFrame:
    """One file of a table, Parquet or CSV by its name."""
    return read_parquet_file(path) if is_parquet(path) else read_csv_file(path, reading)


def read_parquet_file(path: Path, row_groups: list[int] | None = None) -> pd.DataFrame:
    """A Parquet file (or some of its row groups) with the column types the CSV reader gives:
    pyarrow-backed, dictionary-encoded columns as their values."""
    try:
        file = pq.ParquetFile(path)
        table = file.read() if row_groups is None else file.read_row_groups(row_groups)
    except (pa.ArrowException, OSError) as error:
        raise PipelineError(f"{path}: cannot be read as Parquet ({error})") from None
    names = table.column_names
    repeated = next((name for name in names if names.count(name) > 1), None)
    if repeated is not None:
        raise PipelineError(f"{path}: names column {repeated!r} twice; column names must be unique")
    columns = [
        column.dictionary_decode() if pa.types.is_dictionary(column.type) else column for column in table.columns
    ]
    frame = pa.table(columns, names=names).to_pandas(types_mapper=pd.ArrowDtype)
    if frame.empty and row_groups is None:
        raise PipelineError(f"{path}: has no rows")
    return frame.reset_index(drop=True)


def parquet_row_groups(path: Path) -> int:
    try:
        return pq.ParquetFile(path).metadata.num_row_groups
    except (pa.ArrowException, OSError) as error:
        raise PipelineError(f"{path}: cannot be read as Parquet ({error})") from None


def table_columns(path: Path, reading: dict) -> list[str]:
    """The column names of one table file, from its header (CSV) or its schema (Parquet)."""
    if is_parquet(path):
        try:
            return list(pq.read_schema(path).names)
        except (pa.ArrowException, OSError) as error:
            raise PipelineError(f"{path}: cannot be read as Parquet ({error})") from None
    return [name.strip() for name in next(csv.reader([_first_line(path, reading["encoding"])]), [])]


def open_bytes(path: Path):
    """A CSV file's bytes, decompressed as its name says (.gz, .bz2, .zst) by pyarrow."""
    if is_compressed(path):
        return pa.input_stream(str(path), compression="detect")
    return open(path, "rb")


def read_csv_file(path: Path, reading: dict) -> pd.DataFrame:
    with open_bytes(path) as file:
        if not file.read(1):
            raise PipelineError(f"{path}: file is empty")
    check_header(path, reading["encoding"])
    if not is_compressed(path):
        return parse_csv(path, path, reading)
    with open_bytes(path) as file:
        return parse_csv(file, path, reading)


def parse_csv(source, path: Path, reading: dict) -> pd.DataFrame:
    """Parse CSV text from `source` (a path, or a file object holding part of `path` after its
    header line) with the checks every table gets; errors name `path`."""
    try:
        frame = pd.read_csv(
            source,
            engine="pyarrow",
            dtype_backend="pyarrow",
            encoding=reading["encoding"],
            na_values=reading["missing_values"],
            keep_default_na=False,  # "NaN" and "inf" are numbers (refused below), not missing values
        )
    except UnicodeError as error:  # UnicodeDecodeError, or a UTF-16 file without its byte-order mark
        raise PipelineError(
            f"{path}: holds a byte that is not valid {reading['encoding']} ({error}); set data.encoding in "
            "params.yaml to the file's encoding, or re-save the file as UTF-8"
        ) from None
    except Exception as error:  # pyarrow raises several types; all mean "not a readable CSV"
        raise PipelineError(
            f"{path}: cannot be read as CSV{_ragged_row(path, reading['encoding'])} ({error})"
        ) from None
    if frame.empty:
        raise PipelineError(f"{path}: has a header but no rows")
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.ArrowDtype) and frame[column].dtype.pyarrow_dtype == "binary":
            # pyarrow keeps text that is not valid in the encoding as raw bytes
            row = next(i for i, value in enumerate(frame[column]) if not _decodes(value, reading["encoding"]))
            raise PipelineError(
                f"{path}: column {column!r} holds text that is not valid {reading['encoding']} at data row {row + 1} "
                f"({frame[column].iloc[row]!r}); set data.encoding in params.yaml to the file's encoding "
                "(e.g. latin-1 or cp1252), or re-save the file as UTF-8"
            )
    return frame


def check_header(path: Path, encoding: str) -> None:
    try:
        header = next(csv.reader([_first_line(path, encoding)]), [])
    except LookupError:
        raise PipelineError(f"params.yaml: data.encoding {encoding!r} is not an encoding Python knows") from None
    except UnicodeError as error:  # UnicodeDecodeError, or a UTF-16 file without its byte-order mark
        raise PipelineError(
            f"{path}: the header is not valid {encoding} ({error}); set data.encoding in params.yaml to the "
            "file's encoding (e.g. latin-1 or cp1252)"
        ) from None
    seen = set()
    for name in (column.strip() for column in header):
        if name in seen:
            raise PipelineError(f"{path}: the header names column {name!r} twice; column names must be unique")
        seen.add(name)


def _first_line(path: Path, encoding: str, limit: int = 1 << 20) -> str:
    """The file's first line, decoded byte by byte: a bad byte further down is not the header's fault."""
    decoder = codecs.getincrementaldecoder(encoding)()
    text = ""
    with open_bytes(path) as file:
        while "\n" not in text and (byte := file.read(1)) and len(text) < limit:
            text += decoder.decode(byte)
    return text.split("\n")[0].removesuffix("\r").removeprefix("\ufeff")


def _ragged_row(path: Path, encoding: str) -> str:
    """ ", data row N" for the first row whose field count differs from the header's, if there is one."""
    try:
        with io.TextIOWrapper(open_bytes(path), encoding=encoding, newline="", errors="replace") as file:
            rows = csv.reader(file)
            width = len(next(rows, []))
            for number, row in enumerate(rows, start=1):
                if len(row) != width:
                    return f" (data row {number} has {len(row)} fields, the header {width})"
    except csv.Error as error:
        return f" (near data row {error.args[0] if error.args else '?'})"
    return ""


def _decodes(value, encoding: str) -> bool:
    try:
        value is None or value is pd.NA or value.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def main_table_parts(path: Path, block_bytes: int = BLOCK_BYTES) -> list[tuple[Path, int, int | None]]:
    """(file, first byte, end byte or None for the whole file) of each partition of the main table;
    for a Parquet file of several row groups, (file, row group, row group + 1). A compressed CSV
    file is one partition: it cannot be cut without reading it from its start.

    Files by absolute path, for workers that run in another folder.
    """
    parts: list[tuple[Path, int, int | None]] = []
    for shard in (shard.resolve() for shard in shard_paths(path)):
        size = shard.stat().st_size
        if is_parquet(shard):
            groups = parquet_row_groups(shard)
            parts += [(shard, 0, None)] if groups <= 1 else [(shard, group, group + 1) for group in range(groups)]
        elif size <= block_bytes or is_compressed(shard):
            parts.append((shard, 0, None))
        else:
            parts += [(shard, start, min(start + block_bytes, size)) for start in range(0, size, block_bytes)]
    return parts


def read_part(part: tuple[Path, int, int | None], reading: dict) -> pd.DataFrame:
    """One partition of the main table (main_table_parts), read as read_table reads a whole file."""
    path, start, end = part
    if is_parquet(path):
        return read_parquet_file(path, None if end is None else list(range(start, end)))
    if end is None:
        return read_csv_file(path, reading)
    if start == 0:  # the header's checks, once per file
        check_header(path, reading["encoding"])
    with open(path, "rb") as file:
        header = file.readline()
        first = max(start, len(header))
        if first > len(header):  # the block starts after the line that the previous block finishes
            file.seek(first - 1)
            file.readline()
        else:
            file.seek(first)
        text = file.read(max(end - file.tell(), 0))
        if not text.endswith(b"\n"):
            text += file.readline()
    return parse_csv(io.BytesIO(header + text), path, reading)
