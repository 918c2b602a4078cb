"""Fit the project's xgboost model with a few params.yaml variants and print what each costs.

Run with a set-up project's Python, after its preprocess stage, so the splits exist:
    bench/project/<slug>/.venv/bin/python scripts/fit_levers.py bench/project/<slug> [--repeats 2]
Each variant trains as the train stage does (core/modeling.fit_model: early stopping on a validation
slice of the training split) and is scored on the test split. The figures behind the xgboost
defaults in params.yaml; wall and CPU seconds are the fit's alone, so compare rows of one run.
"""

import argparse
import os
import sys
import time
from pathlib import Path

from project_modules import project_modules

VARIANTS = {
    "params.yaml as it is": {},
    "depth 6, learning rate 0.1, patience 20": {"max_depth": 6, "learning_rate": 0.1, "early_stopping_rounds": 20},
    "depth 5, learning rate 0.2, patience 20": {"max_depth": 5, "learning_rate": 0.2, "early_stopping_rounds": 20},
    "depth 5, learning rate 0.2, patience 10": {"max_depth": 5, "learning_rate": 0.2, "early_stopping_rounds": 10},
    "depth 5, learning rate 0.3, patience 10": {"max_depth": 5, "learning_rate": 0.3, "early_stopping_rounds": 10},
    "depth 6, learning rate 0.3, patience 10": {"max_depth": 6, "learning_rate": 0.3, "early_stopping_rounds": 10},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path, help="a set-up project whose preprocess stage has run")
    parser.add_argument("--repeats", type=int, default=1, help="fits per variant; the table shows medians")
    arguments = parser.parse_args()
    os.chdir(arguments.project)
    files, params, paths, modeling, local, models = project_modules(
        "core.files", "core.params", "core.paths", "core.modeling", "engine.local", "models"
    )
    from sklearn.metrics import roc_auc_score

    schema = files.read_json(paths.SCHEMA_FILE)
    features, labels = local.load_split(paths.TRAIN_FILE, schema)
    test_features, test_labels = local.load_split(paths.TEST_FILE, schema)
    base = params.load_params()["train"]
    if base["model"] != "xgboost" or len(schema.get("classes", [])) != 2:
        sys.exit("fit_levers: for a binary classification project whose train.model is xgboost")
    print(f"{len(features):,} training rows; medians of {arguments.repeats}")
    print(f"{'variant':42} {'fit s':>6} {'CPU s':>6} {'trees':>5} {'rounds':>6} {'ROC AUC':>8}")
    for name, changes in VARIANTS.items():
        train = {**base, "xgboost": {**base["xgboost"], **changes}}
        runs = []
        for _ in range(arguments.repeats):
            wall, cpu = time.perf_counter(), time.process_time()
            model = modeling.fit_model(models.build_model(train), features, labels, train)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            runs.append((wall, cpu))
        walls, cpus = sorted(run[0] for run in runs), sorted(run[1] for run in runs)
        rounds = len(next(iter(model.evals_result().values()))["logloss"])
        auc = roc_auc_score(test_labels, modeling.predictions(model, test_features)[:, 1])
        middle = len(runs) // 2
        print(
            f"{name:42} {walls[middle]:6.2f} {cpus[middle]:6.2f} {model.best_iteration + 1:5d} {rounds:6d} {auc:8.5f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
