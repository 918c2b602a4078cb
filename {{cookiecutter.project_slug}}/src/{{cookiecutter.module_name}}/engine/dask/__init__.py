"""The Dask engine (compute.engine: dask): every stage's heavy work on a Dask cluster, for data
beyond one process's memory and for clusters of many machines. xgboost only (scikit-learn's
forests train in one process).

  cluster.py      the cluster: the scheduler params.yaml or DASK_SCHEDULER_ADDRESS names, or a LocalCluster
  preprocess.py   the main table read, checked, joined and split partition by partition
  training.py     xgboost trained by the workers, each reading its own share of the rows
  splits.py       the processed splits as partitions: predictions, labels, cross-validation, summaries
  storage.py      where workers read and write: the workspace, or staged copies on S3 (compute.storage)
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ...dataset import reading_params
from ..base import Engine, Fitted, Prepared
from . import preprocess, splits, training
from .cluster import connected
from .storage import WorkerStorage, worker_storage


class DaskEngine(Engine):
    name = "dask"

    def __init__(self, client, storage: WorkerStorage):
        self.client, self.storage = client, storage

    def prepare(
        self, main_table: Path, lookups: list, data_params: dict, split_params: dict, drift: dict, folder: Path
    ) -> Prepared:
        reading = reading_params(data_params)
        schema, profile, raw_test_rows = preprocess.build_dataset(
            self.client, main_table, lookups, data_params, split_params, folder, reading, self.storage
        )
        train_split = self.storage.files(folder / "train.parquet")  # staged: train's workers find it there
        return Prepared(schema, profile, splits.feature_distributions(train_split, schema, drift), raw_test_rows)

    def fit(self, split: Path, schema: dict, train_params: dict) -> Fitted:
        files = self.storage.files(split)  # uploaded first if staged: not training time
        started = time.perf_counter()
        model, rows = training.fit(self.client, files, schema, train_params)
        return Fitted(model, rows, time.perf_counter() - started)

    def predict(self, model, split: Path, schema: dict) -> tuple[np.ndarray, np.ndarray]:
        return splits.predict(self.client, model, self.storage.files(split), schema)

    def labels(self, split: Path, schema: dict) -> np.ndarray:
        return splits.labels_of(self.storage.files(split), schema)

    def cross_validate(self, trained, split: Path, schema: dict, train_params: dict, sanity: dict) -> np.ndarray:
        files = self.storage.files(split)
        return splits.cross_validate(self.client, trained, files, schema, train_params, sanity)


@contextmanager
def dask_engine(params: dict, settings: dict) -> Iterator[DaskEngine]:
    """The Dask engine on the cluster `settings` (engine/base.compute_settings) names, closed with the block."""
    storage = worker_storage(params)  # checked before a cluster starts
    with connected(settings) as client:
        yield DaskEngine(client, storage)
