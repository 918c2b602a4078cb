"""The local engine (compute.engine: local): pandas and the model in the stage's own process."""

import time
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import parallel_backend

from ..core.columns import date_columns, with_date_numbers, with_date_parts
from ..core.drift import drift_columns, feature_distributions
from ..core.hardware import usable_cpus
from ..core.modeling import cross_validation_plan, fit_model, is_xgboost, model_input, predictions
from ..core.paths import COUNTS_FILE
from ..core.rows import kept_rows, row_hashes, row_settings
from ..core.split import holdout, not_features, split_settings, split_values
from ..core.tables import check_columns_joined, join_lookup, to_category, to_numeric, with_categories
from ..core.target import check_task, encode_target
from ..dataset import read_table, reading_params
from ..features import (
    choose_feature_columns,
    count_columns,
    training_counts,
    with_added_features,
    with_count_features,
    write_counts,
)
from ..models import build_model
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
        train, test, schema, profile, counts = build_dataset(main, lookups, data_params, split_params)
        encode_for_disk(train).to_parquet(folder / "train.parquet", index=False)
        encode_for_disk(test).to_parquet(folder / "test.parquet", index=False)
        write_counts(counts, folder / COUNTS_FILE.name)
        return Prepared(schema, profile, feature_distributions(train, *drift_columns(schema), drift))

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
        features, labels = load_split(split, schema)
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

    rng = np.random.default_rng(train_params["seed"])
    if len(labels) > sanity["cv_max_rows"]:
        rows = np.sort(rng.choice(len(labels), sanity["cv_max_rows"], replace=False))
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


def load_split(path: Path, schema: dict) -> tuple[pd.DataFrame, np.ndarray]:
    """Read a processed split: features (categoricals restored from codes) and encoded labels."""
    frame = pd.read_parquet(path)
    for column, categories in schema["categories"].items():
        frame[column] = pd.Categorical.from_codes(frame[column].to_numpy(), categories=categories)
    labels = frame.pop(schema["target"]).to_numpy()
    return frame[schema["features"]], labels


def build_dataset(main: pd.DataFrame, lookups: list[tuple[pd.DataFrame, str]], data_params: dict, split_params: dict):
    """Validate, join, add features, encode and split. Returns (train, test, schema, profile, counts),
    counts being features.training_counts of data.count_columns.

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
    tables = [main, *(lookup for lookup, _ in lookups)]
    numeric, categorical, decisions = choose_feature_columns(data_params, tables, not_features(split, keys))
    dates = date_columns(tables, numeric)
    numeric = with_date_numbers(numeric, dates)

    coverage = {}
    joined = with_categories(to_numeric(with_date_parts(main, dates), numeric), categorical, keys)
    for lookup, key in lookups:
        lookup = with_categories(to_numeric(with_date_parts(lookup, dates), numeric), categorical, keys)
        joined, coverage[lookup.attrs["source"]] = join_lookup(joined, lookup, key, main_source)
    sources = [main_source, *coverage]
    check_columns_joined(joined, numeric + categorical, sources)
    counted = count_columns(data_params, numeric + categorical)
    check_columns_joined(joined, counted, sources, "data.count_columns")
    if split["column"]:
        check_columns_joined(joined, [split["column"]], sources, f"preprocess.{split['kind']}_column")
    rows, added = with_added_features(joined.drop(columns=[target]), main_source)  # never the target
    numeric += [column for column, kind in added.items() if kind == "numeric"]
    categorical += [column for column, kind in added.items() if kind == "categorical"]
    count_columns(data_params, numeric + categorical)  # an added feature may take a count feature's name

    features = rows[numeric].copy()
    for column in categorical:
        features[column] = to_category(rows[column])
    missing = {column: features[column].isna().mean() for column in numeric + categorical}  # of every row read
    if not keep.all():  # data.missing_target / data.duplicates: drop
        features, rows, joined = features[keep], rows[keep], joined[keep]
    values, classes, strata = encode_target(joined[target], task, main_source, split_params["test_size"])
    features[target] = values
    by = split_values(joined[split["column"]], split["kind"], main_source) if split["column"] else None
    is_test = holdout(split, len(features), split_params["test_size"], split_params["seed"], strata, by)
    train, test = features[~is_test], features[is_test]
    train_keys = rows.loc[train.index, counted]
    counts = training_counts(train_keys)
    train = with_count_features(train, train_keys, counts)
    test = with_count_features(test, rows.loc[test.index, counted], counts)
    schema = dataset_schema(task, task_reason, target, classes, numeric, categorical, counted)
    schema = with_model_names(schema, {column: list(features[column].cat.categories) for column in categorical})
    schema |= {"split": split, "dates": dates, **({"columns": decisions} if decisions else {})}
    train, test = train.rename(columns=schema["renamed"]), test.rename(columns=schema["renamed"])
    profile = dataset_profile(task, values, classes, is_test, missing, coverage, rows_out, split)
    return train, test, schema, profile, counts


def _rows_of(table: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """Some rows of a table, keeping its attrs and its row labels (errors count rows by them)."""
    rows = table[keep]
    rows.attrs = table.attrs
    return rows
