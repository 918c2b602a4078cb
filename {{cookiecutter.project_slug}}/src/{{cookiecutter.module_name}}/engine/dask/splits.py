"""The processed splits as the cluster reads them: one Dask partition per parquet row group, each
read by a worker (a path, or an s3:// URL: storage.py); and the computations over them that
evaluate, sanity-check and the drift summaries need.

What is gathered to the stage's process, and why: labels (a few bytes a row) and predictions of
the test split (one float per class a row, or one predicted value for a regression target: 15 M
test rows of a 74 M row dataset are about 240 MB). ROC AUC, r2 and the curves need every score
together, so computing them where they are gathered gives exactly the local engine's numbers;
features stay on the cluster.
"""

import warnings

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from dask import delayed
from sklearn.base import clone
from sklearn.metrics import get_scorer

from ...core.drift import categorical_summary, drift_columns, numeric_summary, quantile_levels
from ...core.modeling import cross_validation_plan, cross_validation_rows, is_classifier, model_input, predictions
from ...scoring.rows import with_categories_restored
from ..base import unfitted_like
from .storage import WorkerFiles, open_input


def read_split(split: WorkerFiles, schema: dict):
    """A processed split as a Dask dataframe: features with their categories restored, and labels.

    One partition per parquet row group, in file order (a split is one file, or a folder of
    parts): features and labels always have the same partitions (dask's read_parquet may fuse
    small files differently for different column selections).
    Row groups are counted in the stage's own copies; workers open the names storage.py gave.
    """
    meta = _with_categories(pq.read_schema(split.local[0]).empty_table().to_pandas(), schema)
    frame = dd.from_delayed(
        [delayed(read_piece)(name, group, schema, split.options) for name, group, _ in row_groups(split)],
        meta=meta,
        verify_meta=False,
    )
    return frame[schema["features"]], frame[schema["target"]]


def row_groups(split: WorkerFiles) -> list[tuple[str, int | None, int]]:
    """(name a worker opens, row group or None for a file without any, rows) of each piece of a
    split, in order; counted in the stage's own copies."""
    pieces: list[tuple[str, int | None, int]] = []
    for local, name in zip(split.local, split.names, strict=True):
        metadata = pq.ParquetFile(local).metadata
        groups: list[tuple[str, int | None, int]] = [
            (name, group, metadata.row_group(group).num_rows) for group in range(metadata.num_row_groups)
        ]
        pieces += groups or [(name, None, 0)]
    return pieces


def read_piece(
    name: str,
    group: int | None,
    schema: dict,
    options: dict,
    columns: list[str] | None = None,
    rows: np.ndarray | None = None,
) -> pd.DataFrame:
    """One piece of a split (a row group, or a whole file: row_groups), its categories restored;
    run on a worker, which opens `name` with storage.py's `options`. Only `columns` (default all)
    are read, and only `rows` (positions in the piece, default all) become pandas rows with their
    categories restored: parquet still decodes the whole row group, but the rest stays in Arrow."""
    with open_input(name, options) as file:
        if group is None:
            table = pq.read_table(file, columns=columns)
        else:
            table = pq.ParquetFile(file).read_row_group(group, columns=columns)
    if rows is not None:
        table = table.take(rows)
    return _with_categories(table.to_pandas(), schema)


def _with_categories(partition: pd.DataFrame, schema: dict) -> pd.DataFrame:
    return with_categories_restored(partition, schema)  # the local engine's and serving's code (scoring/rows.py)


def feature_distributions(train_split: WorkerFiles, schema: dict, params: dict) -> dict:
    """drift.feature_distributions of the training split, computed on the cluster: per numeric
    feature its missing share and quantiles (dask's approximate quantiles, deterministic for the
    same data), per categorical feature its missing share and value counts."""
    features, _ = read_split(train_split, schema)
    numeric, categorical = drift_columns(schema)
    levels = quantile_levels(params)
    numbers = {column: features[column].astype("float64") for column in numeric}
    (rows, missing, quantiles, counts) = dask.compute(
        features.map_partitions(len).sum(),
        {column: features[column].isna().mean() for column in numeric + categorical},
        {column: values.dropna().quantile(levels) for column, values in numbers.items()},
        {column: features[column].value_counts() for column in categorical},
    )
    summaries = {
        column: numeric_summary(missing[column], quantiles[column].to_numpy() if rows else []) for column in numeric
    }
    for column in categorical:
        summaries[column] = categorical_summary(missing[column], counts[column], int(rows), params)
    return {"rows": int(rows), "features": summaries}


def starts_of(split: WorkerFiles) -> tuple[list, np.ndarray]:
    """(row_groups, where each piece starts in rows from the first; the last entry is the row
    count), from the files' metadata: no row is read."""
    pieces = row_groups(split)
    return pieces, np.concatenate([[0], np.cumsum([rows for _, _, rows in pieces], dtype=np.int64)])


def predict(client, model, split: WorkerFiles, schema: dict) -> tuple[np.ndarray, np.ndarray]:
    """(labels, models.predictions) of a split: each partition predicted on a worker; class
    probabilities (a column per class) for a classifier, values (one column) for a regressor."""
    features, labels = read_split(split, schema)
    columns = len(schema["classes"]) if is_classifier(model) else 1
    # xgboost's probabilities are float32, as the local engine passes them on: widened to float64
    # their rows would miss summing to 1 by float64's standards, and scikit-learn's metrics warn.
    dtype = "f4" if is_classifier(model) else "f8"
    model_future = client.scatter(model, broadcast=True)
    predicted = features.map_partitions(
        _predict_partition, model_future, columns, dtype, meta={str(index): dtype for index in range(columns)}
    )

    labels, predicted = dask.compute(labels, predicted)
    predicted = predicted.to_numpy()
    return labels.to_numpy(), predicted if is_classifier(model) else predicted[:, 0]


def _predict_partition(partition: pd.DataFrame, model, columns: int, dtype: str) -> pd.DataFrame:
    if partition.empty:
        return pd.DataFrame({str(index): pd.Series(dtype=dtype) for index in range(columns)})
    predicted = np.asarray(predictions(model, partition), dtype=dtype).reshape(len(partition), columns)
    return pd.DataFrame(predicted, index=partition.index, columns=[str(i) for i in range(columns)])


def labels_of(split: WorkerFiles, schema: dict) -> np.ndarray:
    """A split's labels, in order: each worker reads only the target column of its pieces."""
    target = schema["target"]
    pieces = [
        delayed(read_piece)(name, group, schema, split.options, columns=[target])
        for name, group, _ in row_groups(split)
    ]
    return np.concatenate([piece[target].to_numpy() for piece in dask.compute(*pieces)])


def cross_validate(
    client, trained, train_split: WorkerFiles, schema: dict, train_params: dict, sanity: dict
) -> np.ndarray:
    """Fold scores (ROC AUC; r2 for regression) as sanity_check's local cross-validation computes
    them: the same sample of at most cv_max_rows training rows, the same folds
    (models.cross_validation_plan), one fold per cluster task."""
    pieces, starts = starts_of(train_split)
    chosen = cross_validation_rows(int(starts[-1]), sanity, train_params["seed"])
    columns = [*schema["features"], schema["target"]]
    # each piece's chosen rows, taken by a worker from that piece before pandas sees them (at 74 M
    # rows the sample is one row in a thousand: every row made pandas rows to keep those took most
    # of the stage)
    reads = []
    for (name, group, _), start, end in zip(pieces, starts, starts[1:], strict=False):
        rows = None if chosen is None else chosen[np.searchsorted(chosen, start) : np.searchsorted(chosen, end)] - start
        if rows is None or len(rows):
            reads.append(delayed(read_piece)(name, group, schema, train_split.options, columns, rows))
    sample = pd.concat(dask.compute(*reads), ignore_index=True)
    sample, sample_labels = sample[schema["features"]], sample[schema["target"]].to_numpy()
    model = unfitted_like(trained, train_params)
    if "n_jobs" in model.get_params():
        model.set_params(n_jobs=1)
    scoring, folds = cross_validation_plan(
        sample_labels, schema.get("task", "classification"), sanity, train_params["seed"]
    )
    scorer = get_scorer(scoring)
    sample_future, labels_future = client.scatter([model_input(sample, model), sample_labels], broadcast=True)
    futures = [
        client.submit(_fold_score, model, sample_future, labels_future, fit_rows, score_rows, scorer, pure=False)
        for fit_rows, score_rows in folds.split(np.zeros(len(sample_labels)), sample_labels)
    ]
    return np.array(client.gather(futures))


def _fold_score(model, features, labels, fit_rows, score_rows, scorer) -> float:

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        fitted = clone(model).fit(features.iloc[fit_rows], labels[fit_rows])
    return float(scorer(fitted, features.iloc[score_rows], labels[score_rows]))
