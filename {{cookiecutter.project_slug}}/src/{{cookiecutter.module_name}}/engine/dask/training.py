"""xgboost training on a Dask cluster, each worker reading its own share of the training split.

xgboost.dask trains from Dask collections: it persists every partition of the training rows
(and of each evaluation set) on the workers and keeps them for the whole fit, beside the
matrices it builds from them. At 7.4 M rows that came to 225-260 bytes per training row across
the workers (scripts/dask_fit_memory.py in the template): too much for 74 M rows in 12 GB.

Here each worker is given consecutive row groups of the split's parquet files and reads them
itself, one at a time, into xgboost's QuantileDMatrix through a DataIter: what stays in memory
is the quantised matrix, not the rows it was built from. The workers train together through
xgboost's collective, with the tracker on the scheduler as xgboost.dask starts it, and the first
worker's booster is the model. Which rows train and which are watched: fit() below, as
core/modeling.fit_model splits them in the local engine.
"""

from collections.abc import Sequence

import distributed
import numpy as np
import pyarrow.parquet as pq
import xgboost
from sklearn.model_selection import train_test_split
from xgboost.dask import _get_rabit_args  # private: how xgboost.dask starts its tracker on the scheduler

from ...core.errors import PipelineError
from ...core.modeling import is_classifier, model_input, stops_early
from ...models import build_model
from .splits import read_piece, row_groups
from .storage import WorkerFiles

TASK_PREFIX = "xgboost-training"  # the training tasks' name on the scheduler


# Each row's roles, one byte a row: the rows the trees learn from, the sample of them whose loss
# is watched, and the validation slice that decides when to stop (core/modeling.fit_model's eval_set).
FIT, WATCHED, VALIDATION = 1, 2, 4


EVALUATION_SETS = {"validation_0": WATCHED, "validation_1": VALIDATION}


def fit(client, train_split: WorkerFiles, schema: dict, train_params: dict):
    """An ordinary xgboost XGBClassifier (XGBRegressor for a regression target, schema.json's task)
    trained on the cluster, each worker reading its share of the rows; and its rows.

    Only xgboost trains on the cluster: scikit-learn's forests train in one process, so under
    dask they are refused rather than trained on a sample (a quietly different model than
    params.yaml describes). The validation slice for early stopping is the same stratified
    share of the same rows as the local engine's (train.validation_share, train.seed; stratified
    by class for a classifier, plain for a regressor, as core/modeling.fit_model splits).
    """
    if train_params["model"] != "xgboost":
        raise PipelineError(
            f"params.yaml: train.model is {train_params['model']!r}, which trains in one process, not on a Dask "
            "cluster; use train.model: xgboost with compute.engine: dask, or compute.engine: local"
        )
    template = build_model(train_params, schema.get("task", "classification"))  # checks train.xgboost's arguments
    groups = row_groups(train_split)
    roles = _roles(train_split, schema, train_params, template, sum(rows for _, _, rows in groups))
    workers = len(client.scheduler_info(n_workers=-1)["workers"])
    try:
        booster, history = train(client, groups, roles, schema, template, train_split.options)
    except Exception as error:
        left = len(client.scheduler_info(n_workers=-1)["workers"])
        if left >= workers and "worker" not in str(error).lower():
            raise
        raise lost_worker_error(workers, left, error) from None
    template.load_model(bytearray(booster))  # the model evaluate, the report and the local engine read
    template.evals_result_ = history  # the per-round losses: evaluation/training_curves.py
    return template, len(roles)


def _roles(split: WorkerFiles, schema: dict, train_params: dict, template, rows: int) -> np.ndarray:
    """Each training row's roles (FIT, WATCHED, VALIDATION), as core/modeling.fit_model splits:
    all rows fit without early stopping; with it, a stratified validation slice is held out and
    as many of the fit rows are watched. Only the target column is read, here in the stage."""
    if not stops_early(template):
        return np.full(rows, FIT, dtype=np.uint8)
    labels = np.concatenate(
        [pq.read_table(path, columns=[schema["target"]]).column(0).to_numpy() for path in split.local]
    )
    fit_rows, valid_rows = train_test_split(
        np.arange(rows),
        test_size=train_params["validation_share"],
        random_state=train_params["seed"],
        stratify=labels if is_classifier(template) else None,
    )
    roles = np.full(rows, FIT, dtype=np.uint8)
    roles[valid_rows] = VALIDATION
    roles[fit_rows[: len(valid_rows)]] |= WATCHED  # core/modeling.fit_model's sample of the training rows
    return roles


def assign(row_groups: Sequence[tuple[str, int | None, int]], workers: int) -> list[list[int]]:
    """Consecutive row groups for up to `workers` workers, about as many rows each; no empty list
    (every worker that trains holds rows). row_groups: (file name, row group, rows) in split order."""
    total = sum(rows for _, _, rows in row_groups)
    shares: list[list[int]] = [[] for _ in range(min(workers, len(row_groups)))]
    done = 0
    for index, (_, _, rows) in enumerate(row_groups):
        shares[min(len(shares) - 1, done * len(shares) // max(total, 1))].append(index)
        done += rows
    return [share for share in shares if share]


def train(client, row_groups, roles: np.ndarray, schema: dict, template, options: dict) -> tuple[bytes, dict]:
    """(the booster as JSON, the loss of each round per evaluation set) trained on the cluster.

    roles: FIT | WATCHED | VALIDATION bits for each row of the split, in order.
    """
    workers = list(client.scheduler_info(n_workers=-1)["workers"])
    shares = assign(row_groups, len(workers))
    collective = client.sync(_get_rabit_args, client, len(shares))
    starts = np.concatenate([[0], np.cumsum([rows for _, _, rows in row_groups])])
    params = booster_params(template, schema)
    # Without a validation slice (no early stopping) the loss is watched on the fit rows themselves.
    evaluations = {name: bit for name, bit in EVALUATION_SETS.items() if (roles & bit).any()} or {"validation_0": FIT}
    futures = []
    for rank, (worker, share) in enumerate(zip(workers, shares, strict=False)):
        pieces = [(row_groups[i][0], row_groups[i][1], roles[starts[i] : starts[i + 1]]) for i in share]
        [pieces_future] = client.scatter([pieces], workers=[worker], direct=True)  # not via the scheduler
        futures.append(
            client.submit(
                _train_on_worker,
                collective,
                rank,
                pieces_future,
                evaluations,
                schema,
                template,
                params,
                options,
                workers=[worker],
                allow_other_workers=False,
                pure=False,
                key=f"{TASK_PREFIX}-{rank}",
            )
        )
    booster, history = client.gather(futures)[0]
    return booster, history


def booster_params(template, schema: dict) -> dict:
    """xgboost.train's parameters for the model that params.yaml describes: the sklearn wrapper's
    own translation, and the objective its fit would choose for several classes."""
    params = {key: value for key, value in template.get_xgb_params().items() if value is not None}
    params.pop("n_jobs", None)
    classes = len(schema.get("classes") or [])
    if schema.get("task", "classification") == "classification" and classes > 2:
        params.update(objective="multi:softprob", num_class=classes)
    return params


def _train_on_worker(collective, rank, pieces, evaluations, schema, template, params, options):
    threads = distributed.get_worker().state.nthreads
    settings = template.get_params()
    quantised = {
        "max_bin": settings.get("max_bin") or 256,
        "enable_categorical": bool(settings.get("enable_categorical")),
        "nthread": threads,
    }
    history: dict = {}
    # Ranks in the order the tasks were made, so the first share of rows is rank 0's.
    with (
        xgboost.config_context(verbosity=0),  # first: no "got rank N" line per worker
        xgboost.collective.CommunicatorContext(**collective, DMLC_TASK_ID=f"[{TASK_PREFIX}-{rank:05d}]"),
    ):
        fit = xgboost.QuantileDMatrix(_Rows(pieces, FIT, schema, template, options), **quantised)
        evals = [
            (
                fit
                if bit == FIT
                else xgboost.QuantileDMatrix(_Rows(pieces, bit, schema, template, options), ref=fit, **quantised),
                name,
            )
            for name, bit in evaluations.items()
        ]
        booster = xgboost.train(
            {**params, "nthread": threads},
            fit,
            num_boost_round=settings.get("n_estimators") or 100,
            evals=evals,
            early_stopping_rounds=settings.get("early_stopping_rounds"),
            evals_result=history,
            verbose_eval=False,
        )
    return (bytes(booster.save_raw("json")) if rank == 0 else None), history


class _Rows(xgboost.DataIter):
    """A worker's row groups, one at a time, keeping the rows whose roles include `bit`; one empty
    batch if none does, since every worker must bring a (possibly empty) matrix to the training."""

    def __init__(self, pieces, bit: int, schema: dict, template, options: dict):
        self.pieces, self.bit, self.schema, self.template, self.options = pieces, bit, schema, template, options
        self.at, self.given = 0, 0
        super().__init__(release_data=True)

    def next(self, input_data) -> bool:
        while self.at < len(self.pieces):
            name, group, roles = self.pieces[self.at]
            self.at += 1
            keep = (roles & self.bit) != 0
            if keep.any() or (self.at == len(self.pieces) and not self.given):
                # only the kept rows made pandas rows: the watched and validation slices are a tenth of each piece
                rows = None if keep.all() else np.flatnonzero(keep)
                partition = read_piece(name, group, self.schema, self.options, rows=rows)
                features = model_input(partition[self.schema["features"]], self.template)
                input_data(data=features, label=partition[self.schema["target"]].to_numpy())
                self.given += 1
                return True
        return False

    def reset(self) -> None:
        self.at, self.given = 0, 0


def lost_worker_error(workers_before: int, workers_now: int, error: Exception) -> PipelineError:
    return PipelineError(
        f"a Dask worker was lost during training ({workers_before} before, {workers_now} now: "
        f"{type(error).__name__}); the training cannot carry on without it, so nothing was saved: "
        "rerun the stage once the cluster is whole"
    )
