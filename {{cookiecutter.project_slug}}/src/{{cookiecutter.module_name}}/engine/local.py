"""The local engine (compute.engine: local): pandas and the model in the stage's own process."""

import time
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import parallel_backend

from ..core.drift import drift_columns, feature_distributions
from ..core.hardware import usable_cpus
from ..core.modeling import cross_validation_plan, fit_model, is_xgboost, model_input, predictions
from ..core.paths import COUNTS_FILE
from ..core.split import holdout_mask
from ..core.tables import check_columns_joined, join_lookup, to_category, to_numeric, with_categories
from ..core.target import check_task, encode_target
from ..dataset import read_table, reading_params
from ..features import (
    count_columns,
    feature_columns,
    training_counts,
    with_added_features,
    with_count_features,
    write_counts,
)
from ..models import build_model
from .base import Engine, Fitted, Prepared, dataset_profile, dataset_schema, encode_for_disk, unfitted_like


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
    task, task_reason = check_task(main, data_params)
    numeric, categorical = feature_columns(data_params)

    coverage = {}
    keys = {key for _, key in lookups}
    joined = with_categories(to_numeric(main, numeric), categorical, keys)
    for lookup, key in lookups:
        lookup = with_categories(to_numeric(lookup, numeric), categorical, keys)
        joined, coverage[lookup.attrs["source"]] = join_lookup(joined, lookup, key, main_source)
    tables = [main_source, *coverage]
    check_columns_joined(joined, numeric + categorical, tables)
    counted = count_columns(data_params, numeric + categorical)
    check_columns_joined(joined, counted, tables, "data.count_columns")
    rows, added = with_added_features(joined.drop(columns=[target]), main_source)  # never the target
    numeric += [column for column, kind in added.items() if kind == "numeric"]
    categorical += [column for column, kind in added.items() if kind == "categorical"]
    count_columns(data_params, numeric + categorical)  # an added feature may take a count feature's name

    features = rows[numeric].copy()
    for column in categorical:
        features[column] = to_category(rows[column])
    values, classes, strata = encode_target(joined[target], task, main_source, split_params["test_size"])
    features[target] = values
    is_test = holdout_mask(len(features), split_params["test_size"], split_params["seed"], strata)
    train, test = features[~is_test], features[is_test]
    train_keys = rows.loc[train.index, counted]
    counts = training_counts(train_keys)
    train = with_count_features(train, train_keys, counts)
    test = with_count_features(test, rows.loc[test.index, counted], counts)
    schema = dataset_schema(task, task_reason, target, classes, numeric, categorical, counted)
    schema["categories"] = {column: list(features[column].cat.categories) for column in categorical}
    missing = {column: features[column].isna().mean() for column in numeric + categorical}
    profile = dataset_profile(task, values, classes, is_test, missing, coverage)
    return train, test, schema, profile, counts
