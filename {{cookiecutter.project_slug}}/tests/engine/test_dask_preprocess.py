"""The Dask engine's preprocess makes the local engine's dataset (engine/dask/preprocess.py), on an
in-process cluster: auto columns, dates, renamed features, rows left out and a group split alike,
and the same raw test rows for the bundle's skew check."""

import numpy as np
import pandas as pd
from distributed import Client

from {{ cookiecutter.module_name }}.dataset import read_table, reading_params
from {{ cookiecutter.module_name }}.engine.base import encode_for_disk
from {{ cookiecutter.module_name }}.engine.dask.preprocess import build_dataset as on_the_cluster
from {{ cookiecutter.module_name }}.engine.dask.storage import WorkerStorage
from {{ cookiecutter.module_name }}.engine.local import build_dataset as locally


def test_the_cluster_builds_the_local_engines_dataset_for_a_new_data_set(tmp_path):
    # given a panel saved as CSV: 50 people over six years, a date, a name xgboost refuses, two
    # missing targets and three rows saved twice
    rng = np.random.default_rng(5)
    years = np.tile(np.arange(2000, 2006), 50)
    panel = pd.DataFrame(
        {
            "person": np.repeat([f"p{number}" for number in range(50)], 6),
            "year": years,
            "hired": [f"{year}-03-01" for year in years],
            "sector": rng.choice(["farm", "shop", "mill"], len(years)),
            "wage[usd]": rng.normal(10, 2, len(years)).round(1),
        }
    )
    panel["union"] = np.where(panel["sector"] == "mill", "yes", "no")
    panel.loc[[4, 17], "union"] = ""
    pd.concat([panel, panel.iloc[[5, 9, 11]]]).to_csv(tmp_path / "panel.csv", index=False)
    data = {"target": "union", "numeric_columns": "auto", "categorical_columns": "auto"}
    data |= {"missing_target": "drop", "duplicates": "drop"}
    split = {"test_size": 0.25, "seed": 0, "split": "group", "group_column": "person"} | {"raw_test_rows": 20}
    reading = reading_params(data)
    # when the local engine and the Dask engine (an in-process cluster) preprocess it
    table = read_table(tmp_path / "panel.csv", reading)
    train, test, schema, profile, _, raw_test_rows = locally(table, [], data, split)
    (tmp_path / "processed").mkdir()
    with Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None) as client:
        cluster_schema, cluster_profile, cluster_raw_test_rows = on_the_cluster(
            client, tmp_path / "panel.csv", [], data, split, tmp_path / "processed", reading, WorkerStorage()
        )
    # then they agree on everything, row for row
    assert cluster_schema == schema and cluster_profile == profile
    assert profile["rows_out"] == {"missing_target_dropped": 2, "duplicate_rows": 3, "duplicates_dropped": 3}
    for name, split_rows in (("train", train), ("test", test)):
        written = pd.read_parquet(tmp_path / f"processed/{name}.parquet")
        pd.testing.assert_frame_equal(written, encode_for_disk(split_rows), check_dtype=False)
    assert "wage(usd)" in schema["features"] and "hired_year" in schema["features"]
    pd.testing.assert_frame_equal(cluster_raw_test_rows, raw_test_rows)
    assert len(raw_test_rows) == 20 and "union" not in raw_test_rows.columns
