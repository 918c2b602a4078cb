"""An expert's one-file script for the benchmark's task: the pipeline's strongest peer.

What an experienced engineer writes instead of a pipeline, in one process and nothing more: read
the three CSV files with pyarrow (text columns dictionary-encoded, so they arrive as categories),
join the lookups with pyarrow's hash join, count the count features on the training rows, hand
xgboost the category codes, fit with the project's own xgboost settings and early stopping
(params.yaml train: the same validation share and seed), and score the test rows.

Fair by construction: the same feature columns and count columns (params.yaml data), the same
train/test split (the project's own core/split.py, stratified by the target as the pipeline's is,
checked against the test split the pipeline wrote), the same model settings and threads. What it
leaves out is what the pipeline adds: DVC's hashing and caching, four processes, parquet between
stages, checks of every value, the data profile and drift summaries, the cross-validated sanity
checks, plots and reports. The distance between the two is the price of that structure.

Run by bench.py with the baked project's python, in the project folder, after its pipeline:
    .venv/bin/python scripts/bench_expert.py --out expert.json
"""

import argparse
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import yaml
from project_modules import project_modules
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from xgboost import XGBClassifier


def read(path: Path) -> pa.Table:
    options = pacsv.ConvertOptions(auto_dict_encode=True, auto_dict_max_cardinality=2**31 - 1)
    # One dictionary per column, not one per block read in parallel: pyarrow's join needs that.
    return pacsv.read_csv(path, convert_options=options).unify_dictionaries()


def decoded(table: pa.Table, column: str) -> pa.Table:
    """`column` as plain text: pyarrow's join cannot match two different dictionaries."""
    index = table.schema.get_field_index(column)
    return table.set_column(index, column, pc.cast(table[column], pa.string()))


def codes(column: pd.Series) -> np.ndarray:
    """A column as xgboost takes it: numbers as float32, categories as their codes (NaN if missing)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        values = column.cat.codes.to_numpy().astype(np.float32)
        values[values < 0] = np.nan
        return values
    return column.to_numpy(dtype=np.float32, na_value=np.nan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="JSON file for the ROC AUC")
    arguments = parser.parse_args()
    params = yaml.safe_load(Path("params.yaml").read_text())
    data, split, train = params["data"], params["preprocess"], params["train"]
    raw = Path(data["raw_dir"])

    # Read and join, keeping the main table's row order (the split is by row position).
    table = read(raw / data["main_table"])
    table = table.append_column("__row", pa.array(np.arange(table.num_rows)))
    for lookup in data.get("lookups") or []:
        key = lookup["key"]
        table = decoded(table, key).join(decoded(read(raw / lookup["table"]), key), keys=key, join_type="left outer")
    table = table.take(pc.sort_indices(table, [("__row", "ascending")]))
    frame = table.to_pandas()

    dropped = set(data.get("drop_columns") or [])
    columns = [c for c in data["numeric_columns"] + data["categorical_columns"] if c not in dropped]
    target = frame[data["target"]].to_numpy()
    [project_split] = project_modules("core.split")
    is_test = project_split.holdout_mask(len(target), split["test_size"], split["seed"], target)

    # Features: the columns as codes, and each count column's training-row counts.
    features = {column: codes(frame[column]) for column in columns}
    for column in data.get("count_columns") or []:
        keys = frame[column].astype("string")
        counts = keys[~is_test].value_counts()
        features[f"{column}_count"] = keys.map(counts).astype("float32").fillna(0).where(keys.notna()).to_numpy()
    X = pd.DataFrame(features)
    X_train, X_test, y_train, y_test = X[~is_test], X[is_test], target[~is_test], target[is_test]

    settings = {key: value for key, value in train["xgboost"].items() if key != "device"}
    model = XGBClassifier(**settings, n_jobs=len(os.sched_getaffinity(0)), random_state=train["seed"])
    fit_x, valid_x, fit_y, valid_y = train_test_split(
        X_train, y_train, test_size=train["validation_share"], random_state=train["seed"], stratify=y_train
    )
    watched = len(valid_y)
    model.fit(fit_x, fit_y, eval_set=[(fit_x.iloc[:watched], fit_y[:watched]), (valid_x, valid_y)], verbose=False)
    roc_auc = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])

    # Fair only on the pipeline's own test rows: the same labels in the same order.
    pipeline_test = pd.read_parquet("data/processed/test.parquet", columns=[data["target"]])[data["target"]]
    same_split = len(pipeline_test) == len(y_test) and bool((pipeline_test.to_numpy() == y_test).all())
    arguments.out.write_text(json.dumps({
        "roc_auc": round(float(roc_auc), 5),
        "same_split": same_split,
        "trees_used": int(model.best_iteration) + 1,
    }))


if __name__ == "__main__":
    main()
