"""Stage 1, preprocess: raw CSV tables -> validated, joined, encoded train/test parquet files.

Reads the main table (one CSV, or a folder of CSV shards) and the lookup tables that
params.yaml names (raw_data.py), checks them, joins the lookups on their keys, encodes categoricals and
splits train/test with a fixed seed (split.py). Every check names the file and the column at fault,
and nothing is written unless all of them pass.

The task (classification or regression, params.yaml data.task) is decided here, once (task.py),
and recorded in schema.json and the data profile for every later stage and the gate.

Outputs: data/processed/{train,test}.parquet and schema.json (task, features, categories, classes),
reports/data_profile.json (task, rows, class balance or target summary, missing values, join coverage).
"""

from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api.extensions import take

from . import dask_engine
from .common import (
    DATA_PROFILE_FILE,
    FEATURE_DISTRIBUTIONS_FILE,
    PROCESSED_DIR,
    PipelineError,
    atomic_path,
    load_params,
    run,
    write_json,
)
from .compute import engine
from .count_features import COUNTS_FILE_NAME, count_columns, training_counts, with_count_features, write_counts
from .count_features import feature_name as count_feature_name
from .drift import drift_params, feature_distributions
from .raw_data import read_table, reading_params
from .split import holdout_mask
from .storage import worker_storage
from .task import decide_task, regression_strata, regression_target, requested_task


# --- Checking ----------------------------------------------------------------------------
def check_target_column(table: pd.DataFrame, target: str) -> None:
    if target not in table.columns:
        source = table.attrs["source"]
        raise PipelineError(f"{source}: target column {target!r} is missing (columns: {', '.join(table.columns)})")


def check_target(table: pd.DataFrame, target: str) -> None:
    """A classification target: no missing label, at least two classes."""
    labels = check_target_rows(table, target)
    check_single_class(labels, table.attrs["source"], target)


def check_target_rows(table: pd.DataFrame, target: str) -> pd.Series:
    """A classification target's labels, normalised, once the column is there and no label is missing."""
    source = table.attrs["source"]
    check_target_column(table, target)
    labels = normalised_labels(table[target])
    missing = labels.isna().to_numpy()
    if missing.any():
        raise PipelineError(
            f"{source}: column {target!r} has {int(missing.sum())} missing label(s), first at data row "
            f"{int(np.argmax(missing)) + 1}; drop or fill those rows (an empty, NaN or infinite label is missing)"
        )
    return labels


def check_single_class(labels: pd.Series, source: str, target: str) -> None:
    if labels.nunique() < 2:
        raise PipelineError(f"{source}: column {target!r} has a single class; a classifier needs at least two")


def check_rare_classes(labels: pd.Series, source: str, target: str) -> None:
    """Every class of the (categorical) labels has the two rows a stratified split needs."""
    counts = labels.value_counts()
    if (counts < 2).any():
        rare = counts[counts < 2].index[0]
        raise PipelineError(
            f"{source}: column {target!r} has only one row of class {rare!r}; a stratified train/test "
            "split needs at least two per class: add rows, merge the class into another, or drop it"
        )


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


FLOAT32_MAX = float(np.finfo(np.float32).max)
BOOLEAN_ADVICE = "; list a yes/no column under categorical_columns instead"


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
        if pd.api.types.is_bool_dtype(table[column]):
            _refuse_first(
                table[column].notna().to_numpy(), table, column, "should be numeric but has true/false", BOOLEAN_ADVICE
            )
        values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
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


def check_columns_joined(joined: pd.DataFrame, columns: list[str], tables: list[str], setting: str = "data") -> None:
    """Every column params.yaml names (in `setting`) came from one of the joined tables."""
    for column in columns:
        if column not in joined.columns:
            raise PipelineError(
                f"column {column!r} (params.yaml: {setting}) is in none of the tables: {', '.join(tables)}"
            )


def join_lookup(
    main: pd.DataFrame, lookup: pd.DataFrame, key: str, main_source: str, allow_no_match: bool = False
) -> tuple[pd.DataFrame, float]:
    """Left-join `lookup` onto `main` by `key` without a row-by-row loop; return coverage too.

    allow_no_match: a part of the main table may match nothing (the dask engine checks the whole).
    """
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
    if coverage == 0 and not allow_no_match:
        raise PipelineError(
            f"{source}: no value of key column {key!r} matches the main table {main_source}; "
            "check that both files use the same ids"
        )
    # A shallow copy: pandas copies on write, so adding columns leaves `main` untouched without
    # duplicating its data (at KKBox scale a deep copy per lookup is gigabytes).
    joined = main.copy(deep=False)
    for column in lookup.columns.drop(key):
        if column in joined.columns:
            raise PipelineError(f"{source}: column {column!r} is also in {main_source}; rename or drop one of them")
        joined[column] = take(lookup[column].array, positions, allow_fill=True)
    return joined, coverage


# --- Building the dataset ----------------------------------------------------------------
def feature_columns(data_params: dict) -> tuple[list[str], list[str]]:
    """(numeric, categorical) feature columns that params.yaml lists, less data.drop_columns."""
    dropped = set(data_params.get("drop_columns") or [])
    numeric = [column for column in data_params.get("numeric_columns") or [] if column not in dropped]
    categorical = [column for column in data_params.get("categorical_columns") or [] if column not in dropped]
    if not numeric + categorical:
        raise PipelineError("params.yaml: data.numeric_columns and data.categorical_columns are both empty")
    return numeric, categorical


def build_dataset(main: pd.DataFrame, lookups: list[tuple[pd.DataFrame, str]], data_params: dict, split_params: dict):
    """Validate, join, encode and split. Returns (train, test, schema, profile, counts), counts
    being count_features.training_counts of data.count_columns.

    `lookups` holds (table, key) pairs; each table's attrs["source"] names its file for errors.
    """
    target = data_params["target"]
    main_source = main.attrs["source"]
    task, task_reason = check_task(main, data_params)
    numeric, categorical = feature_columns(data_params)
    counted = count_columns(data_params, numeric + categorical)

    coverage = {}
    keys = {key for _, key in lookups}
    joined = with_categories(to_numeric(main, numeric), categorical, keys)
    for lookup, key in lookups:
        lookup = with_categories(to_numeric(lookup, numeric), categorical, keys)
        joined, coverage[lookup.attrs["source"]] = join_lookup(joined, lookup, key, main_source)

    check_columns_joined(joined, numeric + categorical, [main_source, *coverage])
    check_columns_joined(joined, counted, [main_source, *coverage], "data.count_columns")
    features = joined[numeric].copy()
    for column in categorical:
        features[column] = to_category(joined[column])

    features[target], classes, strata = encode_target(joined[target], task, main_source, split_params["test_size"])
    is_test = holdout_mask(len(features), split_params["test_size"], split_params["seed"], strata)
    train, test = features[~is_test], features[is_test]
    train_keys = joined.loc[train.index, counted]
    counts = training_counts(train_keys)
    train = with_count_features(train, train_keys, counts)
    test = with_count_features(test, joined.loc[test.index, counted], counts)
    schema = dataset_schema(task, task_reason, target, classes, numeric, categorical, counted)
    schema["categories"] = {column: list(features[column].cat.categories) for column in categorical}
    profile = {
        "task": task,
        "rows": {"total": len(features), "train": len(train), "test": len(test)},
        **target_profile(task, features[target].to_numpy(), classes, train[target].to_numpy()),
        "missing_share": {column: round(float(features[column].isna().mean()), 4) for column in numeric + categorical},
        "lookup_coverage": {source: round(share, 4) for source, share in coverage.items()},
    }
    return train, test, schema, profile, counts


# --- The target: shared by both engines (compute.engine), so each decides and splits alike ----
def check_task(table: pd.DataFrame, data_params: dict) -> tuple[str, str]:
    """(task, why) for the table's target column (task.py), its values checked for that task.

    The dask engine calls it on the target column gathered from every partition, so its errors
    and row numbers are the local engine's.
    """
    target, source = data_params["target"], table.attrs["source"]
    check_target_column(table, target)
    task, task_reason = decide_task(table[target], requested_task(data_params), source)
    if task == "classification":
        check_target(table, target)
    else:
        regression_target(table[target], source)
    return task, task_reason


def encode_target(column: pd.Series, task: str, source: str, test_size: float):
    """(values as the splits store them, classes, strata for the split) of a checked target column.

    Classification: int32 class codes, the classes in code order, stratified by class.
    Regression: float64 values, no classes (None), stratified by quantile bins (task.py).
    """
    if task == "classification":
        labels = normalised_labels(column).astype("category")
        check_rare_classes(labels, source, column.name)
        codes = labels.cat.codes.to_numpy().astype(np.int32)
        return codes, list(labels.cat.categories), codes
    values = regression_target(column, source)
    return values, None, regression_strata(values, test_size)


def dataset_schema(
    task: str, task_reason: str, target: str, classes, numeric: list, categorical: list, counted: list
) -> dict:
    """schema.json less its categories (each engine collects those its own way). The count
    features (count_features.py) are numeric features; `counts` maps each to its column."""
    count_names = [count_feature_name(column) for column in counted]
    return {
        "task": task,
        "task_reason": task_reason,
        "target": target,
        **({"classes": classes} if task == "classification" else {}),
        "features": numeric + categorical + count_names,
        "numeric": numeric + count_names,
        "counts": dict(zip(count_names, counted, strict=True)),
    }


def target_profile(task: str, values: np.ndarray, classes, train_values: np.ndarray) -> dict:
    """The data profile's part about the target: class balance over all rows, or the training
    split's target summary (what the regression sanity checks measure against)."""
    if task == "classification":
        counts = np.bincount(values, minlength=len(classes))
        return {
            "class_balance": {
                str(name): round(float(count / len(values)), 4) for name, count in zip(classes, counts, strict=True)
            }
        }
    return {"target_summary": target_summary(train_values)}


def target_summary(values: np.ndarray) -> dict:
    """A regression target's range and spread in the training split, which the sanity checks measure against."""
    return {
        "min": float(values.min()),
        "max": float(values.max()),
        "mean": float(values.mean()),
        "std": float(values.std()),
    }


def drift_columns(schema: dict) -> tuple[list[str], list[str]]:
    """(numeric, categorical) features whose distributions drift.py compares with the base branch:
    not the count features, which grow with the data (twice the rows, twice every count)."""
    numeric = [column for column in schema["numeric"] if column not in schema["counts"]]
    categorical = [column for column in schema["features"] if column not in schema["numeric"]]
    return numeric, categorical


def encode_for_disk(split: pd.DataFrame) -> pd.DataFrame:
    """Categoricals as int32 codes (categories live in schema.json, so every split agrees)."""
    return split.apply(
        lambda column: column.cat.codes.astype(np.int32) if isinstance(column.dtype, pd.CategoricalDtype) else column
    ).reset_index(drop=True)


def main() -> None:
    params = load_params()
    data_params = params["data"]
    drift_settings = drift_params(params)  # checked before the slow part
    raw_dir = Path(data_params["raw_dir"])
    reading = reading_params(data_params)
    lookups = [
        (read_table(raw_dir / lookup["table"], reading), lookup["key"]) for lookup in data_params.get("lookups") or []
    ]
    storage = worker_storage(params)  # checked before a cluster starts
    with engine(params) as client, atomic_path(PROCESSED_DIR, directory=True) as folder:
        if client is None:
            main_table = read_table(raw_dir / data_params["main_table"], reading)
            train, test, schema, profile, counts = build_dataset(main_table, lookups, data_params, params["preprocess"])
            encode_for_disk(train).to_parquet(folder / "train.parquet", index=False)
            encode_for_disk(test).to_parquet(folder / "test.parquet", index=False)
            write_counts(counts, folder / COUNTS_FILE_NAME)
            distributions = feature_distributions(train, *drift_columns(schema), drift_settings)
        else:  # compute.engine: dask: train.parquet and test.parquet are folders of parts
            main_path = raw_dir / data_params["main_table"]
            schema, profile = dask_engine.build_dataset(
                client, main_path, lookups, data_params, params["preprocess"], folder, reading, storage
            )
            train_split = storage.files(folder / "train.parquet")  # staged: train's workers find it there
            distributions = dask_engine.feature_distributions(train_split, schema, drift_settings)
        write_json(folder / "schema.json", schema)
    write_json(DATA_PROFILE_FILE, profile)
    write_json(FEATURE_DISTRIBUTIONS_FILE, distributions)
    print(f"preprocess: task {schema['task']} ({schema['task_reason']})")
    target = f"classes {schema['classes']}" if schema["task"] == "classification" else f"target {schema['target']!r}"
    print(
        f"preprocess: {profile['rows']['train']} train / {profile['rows']['test']} test rows, "
        f"{len(schema['features'])} features, {target}"
    )


if __name__ == "__main__":
    run(main)
