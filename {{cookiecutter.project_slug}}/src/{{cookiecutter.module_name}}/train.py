"""Stage 2, train: fit the model that params.yaml (train.model) names on the training split.

Outputs: models/model.joblib, reports/train_info.json (model, where it trained, how long,
package versions) for the CI report, and the loss per boosting round in reports/training/
(training_curves.py). Swap or tune the model in params.yaml, no code change:
    dvc exp run -S train.model=random_forest
"""

import json
import platform
import time
from importlib.metadata import PackageNotFoundError, version

import joblib

from . import dask_engine
from .common import (
    MODEL_FILE,
    SCHEMA_FILE,
    TRAIN_FILE,
    TRAIN_INFO_FILE,
    TRAINING_CURVES_DIR,
    atomic_path,
    gpu_name,
    load_params,
    load_split,
    read_json,
    run,
    write_json,
)
from .compute import compute_settings, engine
from .models import build_model, fit_model, stops_early
from .storage import worker_storage
from .training_curves import write_curves

PACKAGES = ["xgboost", "scikit-learn", "pandas", "numpy", "dvc"]


def fit(features, labels, train_params: dict, task: str = "classification"):
    model = build_model(train_params, task)
    return fit_model(model, features, labels, train_params)


def trees_used(model) -> int | None:
    """How many boosting rounds the model keeps (early stopping may stop short of n_estimators)."""
    best = getattr(model, "best_iteration", None) if stops_early(model) else None
    return best + 1 if best is not None else None


def installed_version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:  # e.g. the stage run outside the project's environment
        return None


def training_device(model) -> str:
    """The device xgboost actually used (it falls back to CPU without a GPU); cpu for scikit-learn."""
    if hasattr(model, "get_booster"):
        config = json.loads(model.get_booster().save_config())
        return config["learner"]["generic_param"].get("device", "cpu")
    return "cpu"


def main() -> None:
    params = load_params()
    train_params = params["train"]
    schema = read_json(SCHEMA_FILE)
    task = schema.get("task", "classification")
    storage = worker_storage(params)  # checked before a cluster starts
    with engine(params) as client:
        if client is None:
            features, labels = load_split(TRAIN_FILE, schema)
            started = time.perf_counter()
            model = fit(features, labels, train_params, task)
            rows = len(features)
        else:  # compute.engine: dask
            train_split = storage.files(TRAIN_FILE)  # uploaded first if staged: not training time
            started = time.perf_counter()
            model, rows = dask_engine.fit(client, train_split, schema, train_params)
        seconds = time.perf_counter() - started

    with atomic_path(MODEL_FILE) as temporary:
        joblib.dump(model, temporary)
    curves = write_curves(model, train_params["model"])
    device = training_device(model)
    write_json(
        TRAIN_INFO_FILE,
        {
            "model": train_params["model"],
            "engine": compute_settings(params)["engine"],
            "task": task,
            "rows": rows,
            "train_seconds": round(seconds, 2),
            "trees_used": trees_used(model),
            "device": device,
            "gpu": gpu_name() if device.startswith("cuda") else None,
            "python": platform.python_version(),
            "packages": {package: installed_version(package) for package in PACKAGES},
        },
    )
    trees = trees_used(model)
    stopped = f", early stopping kept {trees} trees" if trees else ""
    print(f"train: {train_params['model']} {task} on {rows} rows in {seconds:.1f}s ({device}{stopped})")
    print(f"train: curves in {TRAINING_CURVES_DIR}: {curves}")


if __name__ == "__main__":
    run(main)
