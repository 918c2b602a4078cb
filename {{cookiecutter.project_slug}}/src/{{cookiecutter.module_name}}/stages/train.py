"""Stage 2, train: fit the model that params.yaml (train.model) names on the training split.

Outputs: models/model.joblib, reports/train_info.json (model, where it trained, how long,
package versions) for the CI report, and the loss per boosting round in reports/training/
(evaluation/training_curves.py). Swap or tune the model in params.yaml, no code change:
    make exp SET="train.model=random_forest"
"""

import json
import platform
from importlib.metadata import PackageNotFoundError, version

import joblib

from ..core.errors import run
from ..core.files import atomic_path, read_json, write_json
from ..core.hardware import gpu_name
from ..core.modeling import stops_early
from ..core.params import load_params
from ..core.paths import MODEL_FILE, SCHEMA_FILE, TRAIN_FILE, TRAIN_INFO_FILE, TRAINING_CURVES_DIR
from ..engine import compute_settings, open_engine
from ..evaluation.training_curves import write_curves
from ..models import build_model

PACKAGES = ["xgboost", "scikit-learn", "pandas", "numpy", "dvc"]


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
    params = load_params(required=("train",))  # every setting checked before any work
    train_params = params["train"]
    schema = read_json(SCHEMA_FILE)
    task = schema.get("task", "classification")
    build_model(train_params, task)  # the model's own section checked too, before the data is read
    with open_engine(params) as engine:
        fitted = engine.fit(TRAIN_FILE, schema, train_params)
    model = fitted.model
    with atomic_path(MODEL_FILE) as temporary:
        joblib.dump(model, temporary)
    curves = write_curves(model, train_params["model"])
    device = training_device(model)
    trees = trees_used(model)
    write_json(
        TRAIN_INFO_FILE,
        {
            "model": train_params["model"],
            "engine": compute_settings(params)["engine"],
            "task": task,
            "rows": fitted.rows,
            "train_seconds": round(fitted.seconds, 2),
            "trees_used": trees,
            "device": device,
            "gpu": gpu_name() if device.startswith("cuda") else None,
            "python": platform.python_version(),
            "packages": {package: installed_version(package) for package in PACKAGES},
        },
    )
    stopped = f", early stopping kept {trees} trees" if trees else ""
    print(f"train: {train_params['model']} {task} on {fitted.rows} rows in {fitted.seconds:.1f}s ({device}{stopped})")
    print(f"train: curves in {TRAINING_CURVES_DIR}: {curves}")


if __name__ == "__main__":
    run(main)
