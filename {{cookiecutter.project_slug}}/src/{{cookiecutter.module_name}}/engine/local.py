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
from ..core.tables import to_category
from ..core.target import check_task, encode_target
from ..dataset import read_table, reading_params
from ..features import count_columns, feature_columns, training_counts, write_counts
from ..models import build_model
from ..scoring.rows import clean_lookups, decoded_features, encoded_rows, feature_rows, with_categories_restored
from .base import Engine, Fitted, Prepared, dataset_profile, dataset_schema, encode_for_disk, unfitted_like


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
    """Read a processed split: the model's input (scoring/rows.decoded_features) and encoded labels."""
    frame = pd.read_parquet(path)
    return decoded_features(frame, schema), frame[schema["target"]].to_numpy()


def build_dataset(main: pd.DataFrame, lookups: list[tuple[pd.DataFrame, str]], data_params: dict, split_params: dict):
    """Validate, join, add features, encode and split: the row transform of scoring/rows.py on the
    whole table. Returns (train, test, schema, profile, counts, raw_test_rows): the splits in the
    layout they are stored in (the target before the count features) with their categories restored
    and the main table's row labels, counts being features.training_counts of data.count_columns,
    and the first preprocess.raw_test_rows rows of the test split as read (without the target).

    `lookups` holds (table, key) pairs; each table's attrs["source"] names its file for errors.
    """
    target = data_params["target"]
    main_source = main.attrs["source"]
    task, task_reason = check_task(main, data_params)
    numeric, categorical = feature_columns(data_params)
    counted = count_columns(data_params, numeric + categorical)
    prepared = feature_rows(main, clean_lookups(lookups, numeric, categorical), numeric, categorical, counted, target)
    rows, added = prepared.rows, prepared.added
    numeric += [column for column, kind in added.items() if kind == "numeric"]
    categorical += [column for column, kind in added.items() if kind == "categorical"]
    count_columns(data_params, numeric + categorical)  # an added feature may take a count feature's name

    values, classes, strata = encode_target(prepared.target, task, main_source, split_params["test_size"])
    is_test = holdout_mask(len(rows), split_params["test_size"], split_params["seed"], strata)
    counts = training_counts(rows.loc[~is_test, counted])
    schema = dataset_schema(task, task_reason, target, classes, numeric, categorical, counted)
    categories = {column: to_category(rows[column]) for column in categorical}  # cleaned, unused categories dropped
    schema["categories"] = {column: list(values.cat.categories) for column, values in categories.items()}
    encoded = encoded_rows(rows, schema, counts)
    encoded.insert(len(numeric) + len(categorical), target, values)  # the splits' layout: target, then counts
    train, test = (
        with_categories_restored(encoded[~is_test], schema),
        with_categories_restored(encoded[is_test], schema),
    )
    missing = {column: rows[column].isna().mean() for column in numeric}
    missing |= {column: values.isna().mean() for column, values in categories.items()}
    profile = dataset_profile(task, values, classes, is_test, missing, prepared.coverage)
    raw_test_rows = main[is_test].head(split_params["raw_test_rows"]).drop(columns=[target]).reset_index(drop=True)
    return train, test, schema, profile, counts, raw_test_rows
