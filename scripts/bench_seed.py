"""The tutorial's approach to KKBox, as the benchmark's point of comparison.

What most KKBox tutorials do, kept faithful on purpose (it is the yardstick, not code to
improve): pandas read_csv, merge members and songs onto the interactions, fillna, label codes
for the text columns, RandomForestClassifier(n_estimators=100, max_depth=25, n_jobs=-1).
It uses the same feature columns and the same train/test split as the project's pipeline
(params.yaml: data, preprocess; the split by the project's own split.py, stratified by the
target as the pipeline's is), and scores ROC AUC the same way.

Run by bench.py with the baked project's python, in the project folder, after its pipeline:
    .venv/bin/python scripts/bench_seed.py --out seed.json
"""

import argparse
import json
from pathlib import Path

import pandas as pd
import yaml
from project_modules import project_modules
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import roc_auc_score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="JSON file for the ROC AUC")
    arguments = parser.parse_args()
    params = yaml.safe_load(Path("params.yaml").read_text())
    data, split = params["data"], params["preprocess"]
    raw = Path(data["raw_dir"])

    df = pd.read_csv(raw / data["main_table"])
    for lookup in data["lookups"]:
        df = df.merge(pd.read_csv(raw / lookup["table"]), on=lookup["key"], how="left")

    dropped = set(data.get("drop_columns") or [])
    columns = [c for c in data["numeric_columns"] + data["categorical_columns"] if c not in dropped]
    X = df[columns].copy()
    for column in data["categorical_columns"]:
        if column in X:
            X[column] = X[column].astype("category").cat.codes
    X = X.fillna(-1)
    y = df[data["target"]]

    [project_split] = project_modules("core.split")
    is_test = project_split.holdout_mask(len(y), split["test_size"], split["seed"], y.to_numpy())
    X_train, X_test, y_train, y_test = X[~is_test], X[is_test], y[~is_test], y[is_test]
    model = RandomForestClassifier(n_estimators=100, max_depth=25, n_jobs=-1, random_state=split["seed"])
    model.fit(X_train, y_train)
    roc_auc = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])

    # The comparison is fair only on the pipeline's own test rows: its test split (written by
    # preprocess) must hold the same labels in the same order (both engines keep the raw order).
    pipeline_test = pd.read_parquet("data/processed/test.parquet", columns=[data["target"]])[data["target"]]
    same_split = len(pipeline_test) == len(y_test) and bool((pipeline_test.to_numpy() == y_test.to_numpy()).all())
    arguments.out.write_text(json.dumps({"roc_auc": round(float(roc_auc), 5), "same_split": bool(same_split)}))


if __name__ == "__main__":
    main()
