"""A plain Dask user's script for the benchmark's task: the dask engine's peer (make bench ENGINE=dask).

What someone who knows Dask's documented API writes, on a LocalCluster of the same shape as the
pipeline's (one single-threaded worker process per usable CPU): `dask.dataframe.read_csv` of the
three tables, `merge` of the lookups, count features by `value_counts` on the training rows,
category codes by `categorize`, and `xgboost.dask.DaskXGBClassifier` with the project's xgboost
settings and early stopping on a random tenth of the training rows.

Fair on what is compared: the same feature columns and count columns (params.yaml data), the same
test rows (each row keeps its position in the main table through the merges, and the project's
own core/split.py picks the test rows from the target column, as the pipeline's preprocess does;
checked against the test split the pipeline wrote), and ROC AUC on them. What it leaves out is
everything the pipeline adds (checks, profiles, drift summaries, DVC, four processes).

Run by bench.py with the baked project's python, in the project folder, after its pipeline:
    .venv/bin/python scripts/bench_dask_user.py --out dask_user.json
"""

import argparse
import json
import logging
import os
from pathlib import Path

import dask.dataframe as dd
import numpy as np
import pandas as pd
import yaml
from dask import delayed
from distributed import Client, LocalCluster
from project_modules import project_modules
from sklearn.metrics import roc_auc_score
from xgboost.dask import DaskXGBClassifier

ROW = "__row"  # each interaction's position in the main table


def with_positions(frame: dd.DataFrame) -> dd.DataFrame:
    """The rows numbered 0, 1, ... in file order, across partitions."""
    lengths = frame.map_partitions(len).compute().to_numpy()
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    numbered = [delayed(_numbered)(part, int(start)) for part, start in zip(frame.to_delayed(), starts, strict=True)]
    return dd.from_delayed(numbered, meta=frame._meta.assign(**{ROW: np.arange(0)}))


def _numbered(part: pd.DataFrame, start: int) -> pd.DataFrame:
    return part.assign(**{ROW: np.arange(start, start + len(part))})


def _codes(values: pd.Series, categories: np.ndarray) -> pd.Series:
    codes = pd.Categorical(values, categories=categories).codes.astype("float32")
    return pd.Series(np.where(codes >= 0, codes, np.nan), index=values.index, dtype="float32")


def _marked(part: pd.DataFrame, is_test: np.ndarray) -> pd.DataFrame:
    return part.assign(is_test=is_test[part[ROW].to_numpy()])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="JSON file for the ROC AUC")
    arguments = parser.parse_args()
    params = yaml.safe_load(Path("params.yaml").read_text())
    data, split, train = params["data"], params["preprocess"], params["train"]
    raw = Path(data["raw_dir"])
    dropped = set(data.get("drop_columns") or [])
    numeric = [c for c in data["numeric_columns"] if c not in dropped]
    categorical = [c for c in data["categorical_columns"] if c not in dropped]
    counted = data.get("count_columns") or []
    target = data["target"]
    [project_split] = project_modules("core.split")
    workers = len(os.sched_getaffinity(0))

    with (LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None,
                       silence_logs=logging.ERROR) as cluster, Client(cluster) as client):
        text = {column: "string" for column in categorical + counted}
        frame = with_positions(dd.read_csv(raw / data["main_table"], dtype=text, blocksize="128MB"))
        for lookup in data.get("lookups") or []:
            frame = frame.merge(dd.read_csv(raw / lookup["table"], dtype=text), on=lookup["key"], how="left")

        # The pipeline's test rows, by position in the main table.
        labels = frame[[ROW, target]].compute().sort_values(ROW)[target].to_numpy()
        is_test = project_split.holdout_mask(len(labels), split["test_size"], split["seed"], labels)
        meta = frame._meta.assign(is_test=np.zeros(0, dtype=bool))
        frame = frame.map_partitions(_marked, delayed(is_test), meta=meta)

        training = frame[~frame["is_test"]]
        for column in counted:
            counts = training[column].value_counts().compute()
            frame[f"{column}_count"] = frame[column].map(counts, meta=(column, "float64")).fillna(0)
        for column in categorical:  # category codes, from the column's values on the whole table
            categories = frame[column].dropna().unique().compute().sort_values().to_numpy()
            frame[column] = frame[column].map_partitions(_codes, categories, meta=(column, "float32"))
        columns = numeric + categorical + [f"{column}_count" for column in counted]
        frame = frame[[ROW, "is_test", target, *columns]].persist()

        training, test = frame[~frame["is_test"]], frame[frame["is_test"]]
        fit, validation = training.random_split([1 - train["validation_share"], train["validation_share"]],
                                                random_state=train["seed"])
        settings = {key: value for key, value in train["xgboost"].items() if key not in ("device", "n_jobs")}
        model = DaskXGBClassifier(**settings, random_state=train["seed"])
        model.client = client
        model.fit(fit[columns], fit[target], eval_set=[(validation[columns], validation[target])], verbose=False)
        scored = test[[ROW, target]].compute()
        probabilities = model.predict_proba(test[columns]).compute()
        order = np.argsort(scored[ROW].to_numpy())
        y_test, positive = scored[target].to_numpy()[order], np.asarray(probabilities)[order, 1]
        roc_auc = roc_auc_score(y_test, positive)

    pipeline_test = pd.read_parquet("data/processed/test.parquet", columns=[target])[target]
    same_split = len(pipeline_test) == len(y_test) and bool((pipeline_test.to_numpy() == y_test).all())
    arguments.out.write_text(json.dumps({
        "roc_auc": round(float(roc_auc), 5),
        "same_split": same_split,
        "trees_used": int(model.best_iteration) + 1 if model.best_iteration is not None else None,
    }))


if __name__ == "__main__":
    main()
