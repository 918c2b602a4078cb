"""Stage 1, preprocess: raw CSV tables -> validated, joined, encoded train/test parquet files.

Reads the main table (one CSV, or a folder of CSV shards) and the lookup tables that
params.yaml names, checks them, joins the lookups on their keys, encodes categoricals and
splits train/test with a fixed seed. Every check names the file and the column at fault,
and nothing is written unless all of them pass.

Outputs: data/processed/{train,test}.parquet and schema.json (features, categories, classes),
reports/data_profile.json (rows, class balance, missing values, join coverage).
"""

import csv
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api.extensions import take
from sklearn.model_selection import train_test_split

from .common import (
    DATA_PROFILE_FILE,
    PROCESSED_DIR,
    PipelineError,
    atomic_path,
    load_params,
    run,
    write_json,
)

# --- Reading -----------------------------------------------------------------------------
# How CSV files are read; data.encoding / data.missing_values / data.non_finite in params.yaml.
DEFAULT_READING = {"encoding": "utf-8", "missing_values": ["", "NA", "N/A", "NULL", "null"], "non_finite": "error"}


def reading_params(data_params: dict) -> dict:
    reading = {key: data_params.get(key, default) for key, default in DEFAULT_READING.items()}
    if reading["non_finite"] not in ("error", "missing"):
        raise PipelineError(f"params.yaml: data.non_finite is {reading['non_finite']!r}; choose error or missing")
    return reading


def read_table(path: Path, reading: dict = DEFAULT_READING) -> pd.DataFrame:
    """One CSV file, or every *.csv in a folder concatenated in name order (shards)."""
    if path.is_dir():
        shards = sorted(path.glob("*.csv"))
        if not shards:
            raise PipelineError(f"{path}: folder has no .csv shards")
    elif path.exists():
        shards = [path]
    else:
        raise PipelineError(f"{path}: file not found (check data.raw_dir and the table names in params.yaml)")
    frames = [_read_csv(shard, reading) for shard in shards]
    for shard, frame in zip(shards[1:], frames[1:], strict=True):
        if list(frame.columns) != list(frames[0].columns):
            raise PipelineError(
                f"{shard}: columns {list(frame.columns)} differ from those of {shards[0]} {list(frames[0].columns)}"
            )
    table = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    table.attrs["source"] = str(path)
    table.attrs["non_finite"] = reading["non_finite"]
    return table


def _read_csv(path: Path, reading: dict) -> pd.DataFrame:
    if path.stat().st_size == 0:
        raise PipelineError(f"{path}: file is empty")
    _check_header(path, reading["encoding"])
    try:
        frame = pd.read_csv(
            path,
            engine="pyarrow",
            dtype_backend="pyarrow",
            encoding=reading["encoding"],
            na_values=reading["missing_values"],
            keep_default_na=False,  # "NaN" and "inf" are numbers (refused below), not missing values
        )
    except Exception as error:  # pyarrow raises several types; all mean "not a readable CSV"
        raise PipelineError(f"{path}: cannot be read as CSV ({error})") from None
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


def _check_header(path: Path, encoding: str) -> None:
    with open(path, "rb") as file:
        first_line = file.readline()
    try:
        header = next(csv.reader([first_line.decode(encoding)]), [])
    except LookupError:
        raise PipelineError(f"params.yaml: data.encoding {encoding!r} is not an encoding Python knows") from None
    except UnicodeDecodeError as error:
        raise PipelineError(
            f"{path}: the header is not valid {encoding} ({error}); set data.encoding in params.yaml to the "
            "file's encoding (e.g. latin-1 or cp1252)"
        ) from None
    seen = set()
    for name in (column.strip() for column in header):
        if name in seen:
            raise PipelineError(f"{path}: the header names column {name!r} twice; column names must be unique")
        seen.add(name)


def _decodes(value, encoding: str) -> bool:
    try:
        value is None or value is pd.NA or value.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


# --- Checking ----------------------------------------------------------------------------
def check_target(table: pd.DataFrame, target: str) -> None:
    source = table.attrs["source"]
    if target not in table.columns:
        raise PipelineError(f"{source}: target column {target!r} is missing (columns: {', '.join(table.columns)})")
    missing = table[target].isna().to_numpy()
    if missing.any():
        raise PipelineError(
            f"{source}: column {target!r} has {int(missing.sum())} missing label(s), first at data row "
            f"{int(np.argmax(missing)) + 1}; drop or fill those rows"
        )
    if normalised_labels(table[target]).nunique() < 2:
        raise PipelineError(f"{source}: column {target!r} has a single class; a classifier needs at least two")


def normalised_labels(column: pd.Series) -> pd.Series:
    """Labels as text, one spelling per class: stripped, and numbers written alike ("1", "1.0", 1 -> "1")."""
    text = column.astype("string[pyarrow]").str.strip()
    spellings = pd.Series(pd.unique(text), dtype=object)
    numbers = pd.to_numeric(spellings, errors="coerce")
    canonical = {
        spelling: _number_label(number) if pd.notna(number) and np.isfinite(number) else spelling
        for spelling, number in zip(spellings, numbers, strict=True)
    }
    return text.map(canonical).astype("string[pyarrow]")


def _number_label(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else repr(float(number))


FLOAT32_MAX = float(np.finfo(np.float32).max)


def to_numeric(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The table with its `columns` that it holds as float32.

    Checked on the whole table, before any join, so that every row counts: text that is not a
    number, a number float32 cannot hold, or a non-finite one (inf, NaN written out) is an
    error naming the file, the column and the row; data.non_finite: missing turns the last two
    into missing values instead. A column without a single value is an error too.
    """
    converted = table.copy()
    converted.attrs = table.attrs
    source = table.attrs["source"]
    for column in (name for name in columns if name in table.columns):
        # As a NumPy array: on pyarrow-backed text, coerced failures are NaN, which isna() does not see.
        values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        present = table[column].notna().to_numpy()
        if not present.any():
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
            f"{table.attrs['source']}: column {column!r} {problem} {table[column].iloc[row]!r} at data row {row + 1}"
            + advice
        )


def to_category(column: pd.Series) -> pd.Series:
    """Strings (numbers become text), stripped, empty -> missing, as a pandas category."""
    text = column.astype("string[pyarrow]").str.strip()
    return text.mask(text == "").astype("category")


def join_lookup(main: pd.DataFrame, lookup: pd.DataFrame, key: str, main_source: str) -> tuple[pd.DataFrame, float]:
    """Left-join `lookup` onto `main` by `key` without a row-by-row loop; return coverage too."""
    source = lookup.attrs["source"]
    for table, name in ((main, main_source), (lookup, source)):
        if key not in table.columns:
            raise PipelineError(f"{name}: join key column {key!r} is missing (columns: {', '.join(table.columns)})")
    lookup_keys = lookup[key].astype("string[pyarrow]")
    duplicated = lookup_keys.duplicated()
    if duplicated.any():
        raise PipelineError(
            f"{source}: key column {key!r} has duplicate value {lookup_keys[duplicated].iloc[0]!r}; "
            "each key must appear once in a lookup table"
        )
    positions = pd.Index(lookup_keys).get_indexer(main[key].astype("string[pyarrow]"))
    coverage = float((positions >= 0).mean())
    if coverage == 0:
        raise PipelineError(
            f"{source}: no value of key column {key!r} matches the main table {main_source}; "
            "check that both files use the same ids"
        )
    joined = main.copy()
    for column in lookup.columns.drop(key):
        if column in joined.columns:
            raise PipelineError(f"{source}: column {column!r} is also in {main_source}; rename or drop one of them")
        joined[column] = take(lookup[column].array, positions, allow_fill=True)
    return joined, coverage


# --- Building the dataset ----------------------------------------------------------------
def build_dataset(main: pd.DataFrame, lookups: list[tuple[pd.DataFrame, str]], data_params: dict, split_params: dict):
    """Validate, join, encode and split. Returns (train, test, schema, profile).

    `lookups` holds (table, key) pairs; each table's attrs["source"] names its file for errors.
    """
    target = data_params["target"]
    main_source = main.attrs["source"]
    check_target(main, target)
    dropped = set(data_params.get("drop_columns") or [])
    numeric = [column for column in data_params.get("numeric_columns") or [] if column not in dropped]
    categorical = [column for column in data_params.get("categorical_columns") or [] if column not in dropped]
    if not numeric + categorical:
        raise PipelineError("params.yaml: data.numeric_columns and data.categorical_columns are both empty")

    coverage = {}
    joined = to_numeric(main, numeric)
    for lookup, key in lookups:
        joined, coverage[lookup.attrs["source"]] = join_lookup(joined, to_numeric(lookup, numeric), key, main_source)

    for column in numeric + categorical:
        if column not in joined.columns:
            tables = ", ".join([main_source, *coverage])
            raise PipelineError(f"column {column!r} (params.yaml: data) is in none of the tables: {tables}")
    features = joined[numeric].copy()
    for column in categorical:
        features[column] = to_category(joined[column])

    labels = normalised_labels(joined[target]).astype("category")
    classes = list(labels.cat.categories)
    features[target] = labels.cat.codes.astype(np.int32)

    counts = labels.value_counts()
    if (counts < 2).any():
        rare = counts[counts < 2].index[0]
        raise PipelineError(
            f"{main_source}: column {target!r} has only one row of class {rare!r}; a stratified train/test "
            "split needs at least two per class: add rows, merge the class into another, or drop it"
        )
    train, test = train_test_split(
        features,
        test_size=split_params["test_size"],
        random_state=split_params["seed"],
        stratify=features[target],
    )
    schema = {
        "target": target,
        "classes": classes,
        "features": numeric + categorical,
        "numeric": numeric,
        "categories": {column: list(features[column].cat.categories) for column in categorical},
    }
    profile = {
        "rows": {"total": len(features), "train": len(train), "test": len(test)},
        "class_balance": {
            str(name): round(float(share), 4)
            for name, share in labels.value_counts(normalize=True).sort_index().items()
        },
        "missing_share": {column: round(float(features[column].isna().mean()), 4) for column in numeric + categorical},
        "lookup_coverage": {source: round(share, 4) for source, share in coverage.items()},
    }
    return train, test, schema, profile


def encode_for_disk(split: pd.DataFrame) -> pd.DataFrame:
    """Categoricals as int32 codes (categories live in schema.json, so every split agrees)."""
    return split.apply(
        lambda column: column.cat.codes.astype(np.int32) if isinstance(column.dtype, pd.CategoricalDtype) else column
    ).reset_index(drop=True)


def main() -> None:
    params = load_params()
    data_params = params["data"]
    raw_dir = Path(data_params["raw_dir"])
    reading = reading_params(data_params)
    main_table = read_table(raw_dir / data_params["main_table"], reading)
    lookups = [
        (read_table(raw_dir / lookup["table"], reading), lookup["key"]) for lookup in data_params.get("lookups") or []
    ]
    train, test, schema, profile = build_dataset(main_table, lookups, data_params, params["preprocess"])

    with atomic_path(PROCESSED_DIR, directory=True) as folder:
        encode_for_disk(train).to_parquet(folder / "train.parquet", index=False)
        encode_for_disk(test).to_parquet(folder / "test.parquet", index=False)
        write_json(folder / "schema.json", schema)
    write_json(DATA_PROFILE_FILE, profile)
    print(
        f"preprocess: {profile['rows']['train']} train / {profile['rows']['test']} test rows, "
        f"{len(schema['features'])} features, classes {schema['classes']}"
    )


if __name__ == "__main__":
    run(main)
