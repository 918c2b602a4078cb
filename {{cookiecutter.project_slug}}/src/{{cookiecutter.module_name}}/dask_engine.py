"""The stages' heavy work on a Dask cluster (compute.engine: dask in params.yaml).

compute.engine() opens the cluster and hands each stage a client; the stage calls in here
only where the engines differ (reading data, fitting, predicting). Everything else is shared
with the local engine: the checks and error messages of preprocess.py and raw_data.py, the
models of models.py, the metrics and checks of evaluate.py and sanity_check.py, which run on
results gathered to the stage's process.

What is gathered, and why: the target column in preprocess (one value a row: the task is
decided and the target checked on the whole column, by preprocess.py's own functions), labels
(a few bytes a row) and predictions of the test split (one float per class a row, or one
predicted value for a regression target: 15 M test rows of a 74 M row dataset are about
240 MB). ROC AUC, r2 and the curves need every score together, so computing them where they
are gathered gives exactly the local engine's numbers; features stay on the cluster.

Paths are made absolute: the workers of a LocalCluster, or of a cluster on this machine, do
not share the stage's working directory. With compute.storage: s3://... workers read and write
copies in object storage instead (storage.py), for a cluster on other machines that does not
share this filesystem: README, "Compute engines".
"""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .common import PipelineError
from .models import (
    build_model,
    cross_validation_plan,
    is_classifier,
    model_input,
    predictions,
    stops_early,
    unfitted_like,
)
from .split import holdout_mask
from .storage import WorkerFiles, WorkerStorage, open_input, open_output, worker_path


# --- Reading processed splits ------------------------------------------------------------
def read_split(split: WorkerFiles, schema: dict):
    """A processed split as a Dask dataframe: features with their categories restored, and labels.

    One partition per parquet row group, in file order (a split is one file, or a folder of
    parts): features and labels always have the same partitions, which the row selections need
    (dask's read_parquet may fuse small files differently for different column selections).
    Row groups are counted in the stage's own copies; workers open the names storage.py gave.
    """
    import dask.dataframe as dd
    import pyarrow.parquet as pq
    from dask import delayed

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
    import pyarrow.parquet as pq

    pieces: list[tuple[str, int | None, int]] = []
    for local, name in zip(split.local, split.names, strict=True):
        metadata = pq.ParquetFile(local).metadata
        groups: list[tuple[str, int | None, int]] = [
            (name, group, metadata.row_group(group).num_rows) for group in range(metadata.num_row_groups)
        ]
        pieces += groups or [(name, None, 0)]
    return pieces


def read_piece(name: str, group: int | None, schema: dict, options: dict) -> pd.DataFrame:
    """One piece of a split (a row group, or a whole file: row_groups), its categories restored;
    run on a worker, which opens `name` with storage.py's `options`."""
    import pyarrow.parquet as pq

    with open_input(name, options) as file:
        table = pq.read_table(file) if group is None else pq.ParquetFile(file).read_row_group(group)
    return _with_categories(table.to_pandas(), schema)


def _with_categories(partition: pd.DataFrame, schema: dict) -> pd.DataFrame:
    partition = partition.copy()
    for column, categories in schema["categories"].items():
        partition[column] = pd.Categorical.from_codes(partition[column].to_numpy(), categories=categories)
    return partition


def feature_distributions(train_split: WorkerFiles, schema: dict, params: dict) -> dict:
    """drift.feature_distributions of the training split, computed on the cluster: per numeric
    feature its missing share and quantiles (dask's approximate quantiles, deterministic for the
    same data), per categorical feature its missing share and value counts."""
    import dask

    from .drift import categorical_summary, numeric_summary, quantile_levels
    from .preprocess import drift_columns

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


def offsets(frame) -> np.ndarray:
    """Where each partition starts, in rows from the first (the last entry is the row count)."""
    lengths = frame.map_partitions(len).compute()
    return np.concatenate([[0], np.cumsum(np.asarray(lengths, dtype=np.int64))])


def select_rows(frame, keep: np.ndarray, starts: np.ndarray):
    """The rows of `frame` where the boolean array `keep` (one entry per row, in order) is true."""
    import dask.dataframe as dd
    from dask import delayed

    parts = [
        delayed(_take)(part, keep[starts[number] : starts[number + 1]])
        for number, part in enumerate(frame.to_delayed())
    ]
    return dd.from_delayed(parts, meta=frame._meta, verify_meta=False)


def _take(partition, keep: np.ndarray):
    return partition[keep]


# --- Train -------------------------------------------------------------------------------
def fit(client, train_split: WorkerFiles, schema: dict, train_params: dict):
    """An ordinary xgboost XGBClassifier (XGBRegressor for a regression target, schema.json's task)
    trained on the cluster (dask_training.py: each worker reads its share of the rows); and its rows.

    Only xgboost trains on the cluster: scikit-learn's forests train in one process, so under
    dask they are refused rather than trained on a sample (a quietly different model than
    params.yaml describes). The validation slice for early stopping is the same stratified
    share of the same rows as the local engine's (train.validation_share, train.seed; stratified
    by class for a classifier, plain for a regressor, as models.fit_model splits).
    """
    if train_params["model"] != "xgboost":
        raise PipelineError(
            f"params.yaml: train.model is {train_params['model']!r}, which trains in one process, not on a Dask "
            "cluster; use train.model: xgboost with compute.engine: dask, or compute.engine: local"
        )
    from . import dask_training

    template = build_model(train_params, schema.get("task", "classification"))  # checks train.xgboost's arguments
    groups = row_groups(train_split)
    roles = _roles(train_split, schema, train_params, template, sum(rows for _, _, rows in groups))
    workers = len(client.scheduler_info(n_workers=-1)["workers"])
    try:
        booster, history = dask_training.train(client, groups, roles, schema, template, train_split.options)
    except Exception as error:
        left = len(client.scheduler_info(n_workers=-1)["workers"])
        if left >= workers and "worker" not in str(error).lower():
            raise
        raise dask_training.lost_worker_error(workers, left, error) from None
    template.load_model(bytearray(booster))  # the model evaluate, the report and the local engine read
    template.evals_result_ = history  # the per-round losses: training_curves.py
    return template, len(roles)


def _roles(split: WorkerFiles, schema: dict, train_params: dict, template, rows: int) -> np.ndarray:
    """Each training row's roles (dask_training.FIT, WATCHED, VALIDATION), as models.fit_model splits:
    all rows fit without early stopping; with it, a stratified validation slice is held out and
    as many of the fit rows are watched. Only the target column is read, here in the stage."""
    import pyarrow.parquet as pq

    from .dask_training import FIT, VALIDATION, WATCHED

    if not stops_early(template):
        return np.full(rows, FIT, dtype=np.uint8)
    from sklearn.model_selection import train_test_split

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
    roles[fit_rows[: len(valid_rows)]] |= WATCHED  # models.fit_model's sample of the training rows
    return roles


# --- Evaluate and sanity-check -----------------------------------------------------------
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
    import dask

    labels, predicted = dask.compute(labels, predicted)
    predicted = predicted.to_numpy()
    return labels.to_numpy(), predicted if is_classifier(model) else predicted[:, 0]


def _predict_partition(partition: pd.DataFrame, model, columns: int, dtype: str) -> pd.DataFrame:
    if partition.empty:
        return pd.DataFrame({str(index): pd.Series(dtype=dtype) for index in range(columns)})
    predicted = np.asarray(predictions(model, partition), dtype=dtype).reshape(len(partition), columns)
    return pd.DataFrame(predicted, index=partition.index, columns=[str(i) for i in range(columns)])


def labels_of(split: WorkerFiles, schema: dict) -> np.ndarray:
    return read_split(split, schema)[1].compute().to_numpy()


def cross_validate(
    client, trained, train_split: WorkerFiles, schema: dict, train_params: dict, sanity: dict
) -> np.ndarray:
    """Fold scores (ROC AUC; r2 for regression) as sanity_check's local cross-validation computes
    them: the same sample of at most cv_max_rows training rows, the same folds
    (models.cross_validation_plan), one fold per cluster task."""
    from sklearn.metrics import get_scorer

    features, labels = read_split(train_split, schema)
    starts = offsets(features)
    rows = int(starts[-1])
    if rows > sanity["cv_max_rows"]:
        rng = np.random.default_rng(train_params["seed"])
        keep = np.zeros(rows, dtype=bool)
        keep[np.sort(rng.choice(rows, sanity["cv_max_rows"], replace=False))] = True
        features, labels = select_rows(features, keep, starts), select_rows(labels, keep, starts)
    import dask

    sample, sample_labels = dask.compute(features, labels)
    sample, sample_labels = sample.reset_index(drop=True), sample_labels.to_numpy()
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
    from sklearn.base import clone

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        fitted = clone(model).fit(features.iloc[fit_rows], labels[fit_rows])
    return float(scorer(fitted, features.iloc[score_rows], labels[score_rows]))


# --- Preprocess --------------------------------------------------------------------------
# A partition is one CSV shard of the main table, or a block of about BLOCK_BYTES of a larger
# file (cut at line ends). Each is read, checked and joined on a worker by preprocess.py's and
# raw_data.py's own functions, so the errors are the local engine's, row numbers included.
BLOCK_BYTES = 128 * 1024 * 1024
KEY_PREFIX = "__count_key__"  # the count columns' values, kept in written parts until finish_part


class PartitionError(PipelineError):
    """A check that failed in partition `number`; its row numbers count from that partition's start."""

    def __init__(self, number: int, message: str):
        super().__init__(number, message)
        self.number, self.message = number, message

    def __str__(self) -> str:
        return self.message


def main_table_parts(path: Path) -> list[tuple[Path, int, int | None]]:
    """(file, first byte, end byte or None for the whole file) of each partition of the main table.

    Files by absolute path, for workers that run in another folder.
    """
    from .raw_data import shard_paths

    parts: list[tuple[Path, int, int | None]] = []
    for shard in (shard.resolve() for shard in shard_paths(path)):
        size = shard.stat().st_size
        if size <= BLOCK_BYTES:
            parts.append((shard, 0, None))
        else:
            parts += [(shard, start, min(start + BLOCK_BYTES, size)) for start in range(0, size, BLOCK_BYTES)]
    return parts


def read_part(part: tuple[Path, int, int | None], reading: dict) -> pd.DataFrame:
    """One partition of the main table, read as raw_data.py reads a whole file."""
    import io

    from .raw_data import _check_header, _read_csv, parse_csv

    path, start, end = part
    if end is None:
        return _read_csv(path, reading)
    if start == 0:  # the header's checks, once per file
        _check_header(path, reading["encoding"])
    with open(path, "rb") as file:
        header = file.readline()
        first = max(start, len(header))
        if first > len(header):  # the block starts after the line that the previous block finishes
            file.seek(first - 1)
            file.readline()
        else:
            file.seek(first)
        text = file.read(max(end - file.tell(), 0))
        if not text.endswith(b"\n"):
            text += file.readline()
    return parse_csv(io.BytesIO(header + text), path, reading)


def clean_part(number: int, part, source: str, columns: list[str] | None, lookups: list, settings: dict):
    """Partition `number` of the main table read, checked, with numbers as float32, categoricals
    cleaned (as text, so every partition agrees) and the lookups joined; and its coverage counts."""
    from .count_features import as_keys
    from .preprocess import (
        check_columns_joined,
        check_target_column,
        join_lookup,
        to_category,
        to_numeric,
        with_categories,
    )

    readable = (worker_path(part[0], settings["staged"]), *part[1:])  # compute.storage: the staged copy
    try:
        frame = read_part(readable, settings["reading"])
        if columns is not None and list(frame.columns) != columns[1]:
            raise PipelineError(
                f"{part[0]}: columns {list(frame.columns)} differ from those of {columns[0]} {columns[1]}"
            )
        frame.attrs.update(source=source, non_finite=settings["reading"]["non_finite"])
        target, numeric, categorical = settings["target"], settings["numeric"], settings["categorical"]
        check_target_column(frame, target)  # its values are checked once gathered: preprocess.check_task
        keys = {key for _, key in lookups}
        joined = with_categories(to_numeric(frame, numeric), categorical, keys)
        matched = {}
        for lookup, key in lookups:
            joined, coverage = join_lookup(joined, lookup, key, source, allow_no_match=True)
            matched[lookup.attrs["source"]] = coverage * len(joined)
        check_columns_joined(joined, numeric + categorical, [source, *matched])
        check_columns_joined(joined, settings["counted"], [source, *matched], "data.count_columns")
        cleaned = joined[numeric].copy()
        for column in categorical:
            cleaned[column] = to_category(joined[column]).astype("string[pyarrow]")
        for column in settings["counted"]:  # count_features.py: counted once the split is known
            cleaned[KEY_PREFIX + column] = as_keys(joined[column])
        cleaned[target] = joined[target]  # as read: the task is decided on the whole column
        return cleaned.reset_index(drop=True), matched
    except PartitionError:
        raise
    except PipelineError as error:  # named as the stage names files: relative to the project, if inside
        message = str(error).replace(str(readable[0]), str(part[0])).replace(f"{settings['project']}/", "")
        raise PartitionError(number, message) from None


def part_summary(cleaned: tuple, settings: dict) -> dict:
    """What the whole table's checks, categories and profile need from one partition."""
    frame, matched = cleaned
    return {
        "rows": len(frame),
        "target": frame[settings["target"]],
        "categories": {column: set(frame[column].dropna().unique()) for column in settings["categorical"]},
        "missing": {
            column: int(frame[column].isna().sum()) for column in settings["numeric"] + settings["categorical"]
        },
        "matched": matched,
    }


def write_part(cleaned: tuple, is_test: np.ndarray, schema: dict, folder: str, number: int, options: dict) -> dict:
    """Partition `number` encoded as the local engine encodes (categories as int32 codes of the
    schema's categories; the target as preprocess.encode_target stores it: classes as int32 codes,
    or float64 values), its train and test rows written as parquet with the values of the count
    columns, which finish_part replaces by their counts; and the counts of its training rows."""
    from .count_features import training_counts
    from .preprocess import normalised_labels
    from .task import as_numbers

    frame = cleaned[0]
    encoded = frame[[column for column in schema["numeric"] if column not in schema["counts"]]].copy()
    for column, categories in schema["categories"].items():
        encoded[column] = pd.Categorical(
            frame[column].to_numpy(dtype=object, na_value=None), categories=categories
        ).codes.astype(np.int32)
    target = schema["target"]
    if schema["task"] == "classification":
        labels = normalised_labels(frame[target]).to_numpy(dtype=object)
        encoded[target] = pd.Categorical(labels, categories=schema["classes"]).codes.astype(np.int32)
    else:
        encoded[target] = as_numbers(frame[target]).to_numpy()
    keys = [KEY_PREFIX + column for column in schema["counts"].values()]
    encoded[keys] = frame[keys]
    for name, rows in (("train", ~is_test), ("test", is_test)):
        with open_output(part_name(folder, name, number), options) as file:
            encoded[rows].reset_index(drop=True).to_parquet(file, index=False)
    counts = training_counts(frame.loc[~is_test, keys])
    return {key.removeprefix(KEY_PREFIX): values for key, values in counts.items()}


def part_name(folder: str, split: str, number: int) -> str:
    """Where partition `number` of a split is written (a path, or an s3:// URL: storage.py)."""
    return f"{folder}/{split}.parquet/part.{number:05d}.parquet"


def summed_counts(*partials: dict) -> dict:
    """count_features.add_counts of several partitions' counts, on a worker."""
    from .count_features import add_counts

    return add_counts({}, list(partials))


def finish_part(name: str, counts: dict, schema: dict, options: dict) -> None:
    """A written part with its count columns' values replaced by their count features."""
    from .count_features import with_count_features

    with open_input(name, options) as file:
        frame = pd.read_parquet(file)
    keys = [KEY_PREFIX + column for column in schema["counts"].values()]
    values = frame[keys].rename(columns=lambda key: key.removeprefix(KEY_PREFIX))
    with open_output(name, options) as file:
        with_count_features(frame.drop(columns=keys), values, counts).to_parquet(file, index=False)


def tree_reduce(function, items: list, width: int = 8):
    """`function` applied to groups of at most `width` delayed items, then to the groups' results,
    until one is left: no single task holds every partition's result at once."""
    from dask import delayed

    while len(items) > 1:
        items = [delayed(function)(*items[start : start + width]) for start in range(0, len(items), width)]
    return items[0] if items else delayed(function)()


def build_dataset(
    client,
    main_path: Path,
    lookups: list,
    data_params: dict,
    split_params: dict,
    folder: Path,
    reading: dict,
    storage: WorkerStorage,
):
    """preprocess.build_dataset on the cluster: checks, joins, encodes and splits the main table
    partition by partition, writing train/test parquet folders into `folder`. Returns (schema, profile).
    With compute.storage the workers read the main table's files, and write their parts, there.

    The task and the split are the local engine's: the target column is gathered (one small value
    a row), checked and decided by preprocess.check_task, and the row numbers are split by
    split.holdout_mask with the same strata (classes, or a regression target's quantile bins) and
    preprocess.seed, so each split holds the same rows in the same order (the raw data's).
    """
    import dask
    from dask import delayed

    from .count_features import COUNTS_FILE_NAME, count_columns, write_counts
    from .preprocess import (
        check_task,
        dataset_schema,
        encode_target,
        feature_columns,
        target_profile,
        to_numeric,
        with_categories,
    )

    numeric, categorical = feature_columns(data_params)
    counted = count_columns(data_params, numeric + categorical)
    settings = {"reading": reading, "target": data_params["target"], "numeric": numeric, "categorical": categorical}
    settings["counted"] = counted
    settings["project"] = str(Path.cwd().resolve())
    source = str(main_path)
    parts = main_table_parts(main_path)
    settings["staged"] = storage.staged_files(sorted({part[0] for part in parts}))
    columns = None
    if len(parts) > 1 and main_path.is_dir():
        first = parts[0][0]
        columns = (str(first), list(pd.read_csv(first, nrows=0, encoding=reading["encoding"]).columns))
    keys = {key for _, key in lookups}
    lookups = [(with_categories(to_numeric(lookup, numeric), categorical, keys), key) for lookup, key in lookups]
    # scatter() refuses an empty list: a main table without lookups (data.lookups: []) has none to send
    lookups_future = client.scatter(lookups, broadcast=True) if lookups else []
    cleaned = [
        delayed(clean_part, pure=True)(number, part, source, columns, lookups_future, settings)
        for number, part in enumerate(parts)
    ]
    try:
        summaries = dask.compute(*[delayed(part_summary)(part, settings) for part in cleaned])
    except PartitionError as error:
        raise PipelineError(_counted_from_table_start(error, parts, reading)) from None

    target = data_params["target"]
    target_column = pd.concat([summary["target"] for summary in summaries], ignore_index=True)
    gathered = target_column.to_frame()
    gathered.attrs["source"] = source
    task, task_reason = check_task(gathered, data_params)
    values, classes, strata = encode_target(target_column, task, source, split_params["test_size"])
    rows = len(values)
    is_test = holdout_mask(rows, split_params["test_size"], split_params["seed"], strata)
    schema = dataset_schema(task, task_reason, target, classes, numeric, categorical, counted)
    schema["categories"] = {
        column: sorted(set().union(*(summary["categories"][column] for summary in summaries))) for column in categorical
    }
    coverage = {
        source_name: sum(summary["matched"][source_name] for summary in summaries) / rows
        for source_name in summaries[0]["matched"]
    }
    for source_name, share in coverage.items():
        if share == 0:
            key = next(key for lookup, key in lookups if lookup.attrs["source"] == source_name)
            raise PipelineError(
                f"{source_name}: no value of key column {key!r} matches the main table {source}; "
                "check that both files use the same ids"
            )
    test_count = int(is_test.sum())
    profile = {
        "task": task,
        "rows": {"total": rows, "train": rows - test_count, "test": test_count},
        **target_profile(task, values, classes, values[~is_test]),
        "missing_share": {
            column: round(sum(summary["missing"][column] for summary in summaries) / rows, 4)
            for column in numeric + categorical
        },
        "lookup_coverage": {source_name: round(share, 4) for source_name, share in coverage.items()},
    }
    for name in ("train", "test"):
        (folder / f"{name}.parquet").mkdir()
    starts = np.concatenate([[0], np.cumsum([summary["rows"] for summary in summaries])])
    output, options = storage.output_folder(folder)
    writes = [
        delayed(write_part)(part, is_test[starts[number] : starts[number + 1]], schema, output, number, options)
        for number, part in enumerate(cleaned)
    ]
    # The count features need every partition's training rows counted first: the parts are written
    # with the count columns' values, then rewritten with the counts (parquet, not the CSV again).
    (counts,) = dask.compute(tree_reduce(summed_counts, writes))
    if counts:
        (counts_future,) = client.scatter([counts], broadcast=True)
        names = [part_name(output, split, number) for split in ("train", "test") for number in range(len(cleaned))]
        dask.compute(*[delayed(finish_part)(name, counts_future, schema, options) for name in names])
    storage.collect(output, folder)
    write_counts(counts, folder / COUNTS_FILE_NAME)
    return schema, profile


def _counted_from_table_start(error: PartitionError, parts: list, reading: dict) -> str:
    """The error's message with "at data row N" counted from the table's first row, as the local
    engine counts (the rows of the partitions before are counted only now, on failure)."""
    import re

    match = re.search(r"at data row (\d+)", error.message)
    if not match or error.number == 0:
        return error.message
    before = sum(len(read_part(part, reading)) for part in parts[: error.number])
    return error.message.replace(match.group(0), f"at data row {int(match.group(1)) + before}", 1)
