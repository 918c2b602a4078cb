"""The engine interface: the work of each stage that depends on where the data lives.

A stage reads its params, asks its engine (chosen once, from `compute.engine`: engine/__init__.py)
for that work, and writes its outputs; it never asks which engine it has. Both engines apply the
same rules (core/) and your code (dataset.py, features.py, models.py), and assemble the schema and
the data profile with the functions below, so they write the same files and reach the same numbers.
"""

import os
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.columns import model_names
from ..core.errors import PipelineError
from ..core.modeling import is_classifier, stops_early
from ..core.target import target_profile
from ..features import count_feature_name
from ..models import build_model

ENGINES = ("local", "dask")
SCHEDULER_VARIABLE = "DASK_SCHEDULER_ADDRESS"  # Dask's own convention; wins over compute.scheduler
DEFAULT_COMPUTE = {"engine": "local", "scheduler": "", "connect_timeout": 30}


@dataclass(frozen=True)
class Prepared:
    """What preprocess writes besides the splits: schema.json, the data profile, the feature summaries,
    and the first rows of the test split as they were read (without the target), which the serving
    bundle's skew check sends through the scoring path (stages/bundle.py)."""

    schema: dict
    profile: dict
    distributions: dict
    raw_test_rows: pd.DataFrame


@dataclass(frozen=True)
class Fitted:
    """A trained model, the rows it learned from and the seconds its fit took (reading excluded)."""

    model: object
    rows: int
    seconds: float


class Engine(ABC):
    """Where preprocess, train, evaluate and sanity-check do their heavy work."""

    name: str

    @abstractmethod
    def prepare(
        self, main_table: Path, lookups: list, data_params: dict, split_params: dict, drift: dict, folder: Path
    ) -> Prepared:
        """Read the main table, check it, join the lookups ((table, key) pairs, read by the stage), add
        the features, split train/test and write train.parquet, test.parquet and counts.parquet into
        `folder` (categories as int32 codes of the schema's categories)."""

    @abstractmethod
    def fit(self, split: Path, schema: dict, train_params: dict) -> Fitted:
        """The model that params.yaml (train:) describes, trained on a processed split."""

    @abstractmethod
    def predict(self, model, split: Path, schema: dict) -> tuple[np.ndarray, np.ndarray]:
        """(labels, predictions) of a processed split: class probabilities (a column per class) for a
        classifier, values for a regressor (core/modeling.predictions)."""

    @abstractmethod
    def labels(self, split: Path, schema: dict) -> np.ndarray:
        """The encoded labels of a processed split (class codes, or a regression target's values)."""

    @abstractmethod
    def cross_validate(self, trained, split: Path, schema: dict, train_params: dict, sanity: dict) -> np.ndarray:
        """Fold scores (ROC AUC; r2 for regression) of the configured model on at most sanity.cv_max_rows
        rows of a processed split, the folds of core/modeling.cross_validation_plan."""


def compute_settings(params: dict) -> dict:
    """`compute:` of params.yaml, checked, with DASK_SCHEDULER_ADDRESS applied over compute.scheduler."""
    given = params.get("compute") or {}
    settings = {key: given.get(key, default) for key, default in DEFAULT_COMPUTE.items()}
    if settings["engine"] not in ENGINES:
        raise PipelineError(f"params.yaml: compute.engine is {settings['engine']!r}; choose local or dask")
    settings["scheduler"] = os.environ.get(SCHEDULER_VARIABLE) or str(settings["scheduler"] or "")
    timeout = settings["connect_timeout"]
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise PipelineError(f"params.yaml: compute.connect_timeout is {timeout!r}; give seconds, e.g. 30")
    return settings


def unfitted_like(trained, train_params: dict):
    """A fresh model as params.yaml describes it, with as many trees as early stopping chose for
    `trained`: what cross-validation refits on other rows (it has no validation slice)."""
    model = build_model(train_params, "classification" if is_classifier(trained) else "regression")
    if stops_early(model):
        model.set_params(early_stopping_rounds=None, n_estimators=trained.best_iteration + 1)
    return model


def dataset_schema(
    task: str, task_reason: str, target: str, classes, numeric: list, categorical: list, counted: list
) -> dict:
    """schema.json less its categories (each engine collects those its own way). The count
    features (features.py) are numeric features; `counts` maps each to its column."""
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


def with_model_names(schema: dict, categories: dict) -> dict:
    """The schema with its categories, and each feature whose name the model refuses renamed
    (core/columns.model_names); "renamed" maps the old names to the new, for the splits' columns."""
    renamed = model_names(schema["features"])

    def name(column: str) -> str:
        return renamed.get(column, column)

    return schema | {
        "features": [name(column) for column in schema["features"]],
        "numeric": [name(column) for column in schema["numeric"]],
        "counts": {name(feature): column for feature, column in schema["counts"].items()},
        "categories": {name(column): values for column, values in categories.items()},
        "renamed": renamed,
    }


def dataset_profile(
    task: str,
    values: np.ndarray,
    classes,
    is_test: np.ndarray,
    missing: dict[str, float],
    coverage: dict,
    rows_out: dict | None = None,
    split: dict | None = None,
) -> dict:
    """reports/data_profile.json: rows per split, the target's class balance or summary, each
    feature's share of missing values (`missing`), each lookup table's join coverage, the rows
    of the main table left out or found repeated (`rows_out`: core/rows.py), and how the test rows
    were chosen (`split`: core/split.split_settings, written as "random", "group: <column>" or
    "time: <column>")."""
    test_rows = int(is_test.sum())
    return {
        "task": task,
        "rows": {"total": len(values), "train": len(values) - test_rows, "test": test_rows},
        **target_profile(task, values, classes, values[~is_test]),
        "missing_share": {column: round(float(share), 4) for column, share in missing.items()},
        "lookup_coverage": {source: round(float(share), 4) for source, share in coverage.items()},
        **({"rows_out": rows_out} if rows_out else {}),
        **({"split": f"{split['kind']}: {split['column']}" if split["column"] else split["kind"]} if split else {}),
    }


def encode_for_disk(split: pd.DataFrame) -> pd.DataFrame:
    """Categoricals as int32 codes (categories live in schema.json, so every split agrees)."""
    return split.apply(
        lambda column: column.cat.codes.astype(np.int32) if isinstance(column.dtype, pd.CategoricalDtype) else column
    ).reset_index(drop=True)
