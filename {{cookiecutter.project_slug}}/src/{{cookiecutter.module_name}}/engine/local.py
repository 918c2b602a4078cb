"""The local engine (compute.engine: local): pandas and the model in the stage's own process."""

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from joblib import parallel_backend

from ..core.drift import drift_columns, feature_distributions
from ..core.hardware import usable_cpus
from ..core.modeling import (
    cross_validation_plan,
    cross_validation_rows,
    fit_model,
    is_xgboost,
    model_input,
    predictions,
)
from ..core.paths import COUNTS_FILE
from ..core.rows import kept_rows, row_hashes, row_settings
from ..core.split import holdout, split_settings, split_values
from ..core.tables import check_columns_joined, to_category
from ..core.target import check_task, encode_target
from ..dataset import read_table, reading_params
from ..features import count_columns, training_counts, write_counts
from ..models import build_model
from ..scoring.rows import (
    chosen_columns,
    clean_lookups,
    decoded_features,
    encoded_rows,
    feature_rows,
    with_categories_restored,
)
from .base import (
    Engine,
    Fitted,
    Prepared,
    dataset_profile,
    dataset_schema,
    encode_for_disk,
    unfitted_like,
    with_model_names,
)


class LocalEngine(Engine):
    name = "local"

    def prepare(
        self, main_table: Path, lookups: list, data_params: dict, split_params: dict, drift: dict, folder: Path
    ) -> Prepared:
        main = read_table(main_table, reading_params(data_params))
        train, test, schema, profile, counts, raw_test_rows = build_dataset(main, lookups, data_params, split_params)
        encode_for_disk(train).to_parquet(folder / "train.parquet", index=False)
        encode_for_disk(test).to_parquet(folder / "test.parquet", index=False)
        write_counts(counts, folder / COUNTS_FILE.name)
        distributions = feature_distributions(train, *drift_columns(schema), drift)
        return Prepared(schema, profile, distributions, raw_test_rows)

    def fit(self, split: Path, schema: dict, train_params: dict) -> Fitted:
        features, labels = load_split(split, schema)
        model = build_model(train_params, schema.get("task", "classification"))
        started = time.perf_counter()
        fit_model(model, features, labels, train_params)
        return Fitted(model, len(features), time.perf_counter() - started)

    def predict(self, model, split: Path, schema: dict) -> tuple[np.ndarray, np.ndarray]:
        features, labels = load_split(split, schema)
        return labels, predictions(model, features)

    def labels(self, split: Path, schema: dict) -> np.ndarray:
        return pd.read_parquet(split, columns=[schema["target"]])[schema["target"]].to_numpy()

    def cross_validate(self, trained, split: Path, schema: dict, train_params: dict, sanity: dict) -> np.ndarray:
        # Only the sampled rows are read into pandas: at 7.4 M rows sanity-check took 6.1 s reading the
        # whole split, 4.4 s reading its sample (make bench, medians of three)
        chosen = cross_validation_rows(pq.ParquetFile(split).metadata.num_rows, sanity, train_params["seed"])
        features, labels = load_split(split, schema, chosen)
        task = schema.get("task", "classification")
        return cross_validate(trained, features, labels, train_params, sanity, task)


def cross_validate(
    trained, features: pd.DataFrame, labels: np.ndarray, train_params: dict, sanity: dict, task: str
) -> np.ndarray:
    """Fold scores of the configured model on at most sanity.cv_max_rows of these rows.

    xgboost's folds train side by side, one thread each: a model on a fold's few rows gains little
    from more threads, while whole folds in parallel keep every CPU busy. Threads rather than
    processes, so the data is not copied (xgboost releases the GIL). scikit-learn's forests train
    their trees in parallel themselves, so their folds run one after another: forests fitted in
    several threads at once race on scikit-learn's warning filters and print a stream of
    "sklearn.utils.parallel.delayed should be used with ..." warnings.
    """
    from sklearn.model_selection import cross_val_score  # heavy (scipy): sanity-check alone needs it

    rows = cross_validation_rows(len(labels), sanity, train_params["seed"])
    if rows is not None:
        features, labels = features.iloc[rows], labels[rows]
    model = unfitted_like(trained, train_params)
    workers = min(sanity["cv_folds"], usable_cpus())
    if "n_jobs" in model.get_params():
        model.set_params(n_jobs=1 if is_xgboost(model) else usable_cpus())
    folds_at_once = workers if is_xgboost(model) else 1
    scoring, folds = cross_validation_plan(labels, task, sanity, train_params["seed"])
    with parallel_backend("threading", n_jobs=folds_at_once):
        return cross_val_score(
            model, model_input(features, model), labels, cv=folds, scoring=scoring, n_jobs=folds_at_once
        )


def load_split(path: Path, schema: dict, rows: np.ndarray | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """Read a processed split: the model's input (scoring/rows.decoded_features) and encoded labels;
    given `rows` (ascending positions), only those rows, taken before pandas sees them."""
    frame = pd.read_parquet(path) if rows is None else pq.read_table(path).take(rows).to_pandas()
    return decoded_features(frame, schema), frame[schema["target"]].to_numpy()


def build_dataset(main: pd.DataFrame, lookups: list[tuple[pd.DataFrame, str]], data_params: dict, split_params: dict):
    """Validate, choose the columns, join, add features, encode and split: the row transform of
    scoring/rows.py on the whole table, less the rows preprocess leaves out (core/rows.py). Returns
    (train, test, schema, profile, counts, raw_test_rows): the splits in the layout they are stored
    in (the target before the count features) with their categories restored and the main table's
    row labels, counts being features.training_counts of data.count_columns, and the first
    preprocess.raw_test_rows rows of the test split as read (without the target).

    `lookups` holds (table, key) pairs; each table's attrs["source"] names its file for errors.
    """
    target = data_params["target"]
    main_source = main.attrs["source"]
    split = split_settings(split_params)
    settings = row_settings(data_params)
    hashes = row_hashes(main) if settings["duplicates"] != "keep" else None
    keep, rows_out = kept_rows(main[target] if target in main.columns else None, hashes, settings)
    task, task_reason = check_task(main if keep.all() else _rows_of(main, keep), data_params)
    keys = {key for _, key in lookups}
    chosen = chosen_columns(data_params, [main, *(lookup for lookup, _ in lookups)], keys, split)
    numeric, categorical, counted = chosen.numeric, chosen.categorical, chosen.counted
    joins = clean_lookups(lookups, numeric, categorical, chosen.dates)
    prepared = feature_rows(main, joins, numeric, categorical, counted, target, chosen.dates)
    rows, added = prepared.rows, prepared.added
    if split["column"]:
        sources = [main_source, *prepared.coverage]
        check_columns_joined(rows, [split["column"]], sources, f"preprocess.{split['kind']}_column")
    numeric += [column for column, kind in added.items() if kind == "numeric"]
    categorical += [column for column, kind in added.items() if kind == "categorical"]
    count_columns(data_params, numeric + categorical)  # an added feature may take a count feature's name

    categories = {column: to_category(rows[column]) for column in categorical}  # cleaned, unused categories dropped
    missing = {column: rows[column].isna().mean() for column in numeric}  # of every row read
    missing |= {column: values.isna().mean() for column, values in categories.items()}
    target_column = prepared.target
    assert target_column is not None  # check_task (above) refuses a main table without its target column
    if not keep.all():  # data.missing_target / data.duplicates: drop
        rows, target_column = rows[keep], target_column[keep]
    values, classes, strata = encode_target(target_column, task, main_source, split_params["test_size"])
    by = split_values(rows[split["column"]], split["kind"], main_source) if split["column"] else None
    is_test = holdout(split, len(rows), split_params["test_size"], split_params["seed"], strata, by)
    counts = training_counts(rows.loc[~is_test, counted])
    schema = dataset_schema(task, task_reason, target, classes, numeric, categorical, counted)
    schema = with_model_names(schema, {column: list(values.cat.categories) for column, values in categories.items()})
    schema |= {"split": split, "dates": chosen.dates, **({"columns": chosen.decisions} if chosen.decisions else {})}
    encoded = encoded_rows(rows, schema, counts)  # model names: core/columns.model_names
    encoded.insert(len(numeric) + len(categorical), target, values)  # the splits' layout: target, then counts
    train, test = (
        with_categories_restored(encoded[~is_test], schema),
        with_categories_restored(encoded[is_test], schema),
    )
    profile = dataset_profile(task, values, classes, is_test, missing, prepared.coverage, rows_out, split)
    kept = main if keep.all() else main[keep]
    first_test_rows = np.flatnonzero(is_test)[: split_params["raw_test_rows"]]
    raw_test_rows = kept.iloc[first_test_rows].drop(columns=[target]).reset_index(drop=True)
    return train, test, schema, profile, counts, raw_test_rows


def _rows_of(table: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """Some rows of a table, keeping its attrs and its row labels (errors count rows by them)."""
    rows = table[keep]
    rows.attrs = table.attrs
    return rows
