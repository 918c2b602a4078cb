"""preprocess on a Dask cluster: the main table checked, joined, featured, encoded and split
partition by partition, as the local engine does it on the whole table (engine/local.py).

A partition is one shard of the main table, or a block of about dataset.BLOCK_BYTES of a larger
CSV file (cut at line ends), or one row group of a Parquet file; a compressed CSV file (.csv.gz,
.csv.bz2, .csv.zst) is one partition, as it cannot be cut without reading it from its start
(dataset.main_table_parts). Each is read, checked, joined and encoded on a worker with the row
transform the local engine and serving use (scoring/rows.py), so the errors are the local
engine's, row numbers included. The task and the split are the local engine's too: the target column is gathered (one
small value a row), checked and decided by core/target.check_task, and the row numbers are split
by core/split.holdout_mask with the same strata and seed, so each split holds the same rows in the
same order (the raw data's). So are the rows left out (core/rows.py: each row's hash and target
gathered), a group or time split (the split column's values gathered, core/split.py), the
columns `auto` chooses (typed from the first partition and the lookups, core/columns.py), the
date parts and the names renamed for the model.

Paths are made absolute: the workers of a LocalCluster, or of a cluster on this machine, do
not share the stage's working directory. With compute.storage: s3://... workers read and write
copies in object storage instead (storage.py).
"""

import re
from pathlib import Path

import dask
import numpy as np
import pandas as pd
from dask import delayed

from ...core.columns import AUTO
from ...core.errors import PipelineError
from ...core.paths import COUNTS_FILE
from ...core.rows import kept_rows, row_hashes, row_settings
from ...core.split import holdout, split_settings, split_values
from ...core.tables import check_columns_joined, class_labels, to_category
from ...core.target import as_numbers, check_target_column, check_task, encode_target
from ...dataset import is_compressed, is_parquet, main_table_parts, read_part, table_columns
from ...features import add_counts, as_keys, count_columns, training_counts, write_counts
from ...scoring.rows import chosen_columns, clean_lookups, count_features, encoded_rows, feature_rows
from ..base import dataset_profile, dataset_schema, with_model_names
from .storage import WorkerStorage, open_input, open_output, worker_path

KEY_PREFIX = "__count_key__"  # the count columns' values, kept in written parts until finish_part


class PartitionError(PipelineError):
    """A check that failed in partition `number`; its row numbers count from that partition's start."""

    def __init__(self, number: int, message: str):
        super().__init__(number, message)
        self.number, self.message = number, message

    def __str__(self) -> str:
        return self.message


def head_of(part: tuple[Path, int, int | None], size: int = 1 << 20) -> tuple[Path, int, int | None]:
    """The first rows of a partition, about `size` bytes of them, when it is a block of a plain CSV
    file (enough to tell the columns' types); any other partition whole."""
    path, start, end = part
    if is_parquet(path) or is_compressed(path):
        return part
    return path, start, min(end if end is not None else path.stat().st_size, start + size)


def clean_part(number: int, part, source: str, columns: list[str] | None, lookups: list, settings: dict):
    """Partition `number` of the main table read, checked, with numbers as float32, the lookups joined,
    your features added (features.add_features) and categoricals cleaned (as text, so every partition
    agrees); with its rows matched per lookup and the kind of each added feature."""
    readable = (worker_path(part[0], settings["staged"]), *part[1:])  # compute.storage: the staged copy
    try:
        frame = read_part(readable, settings["reading"])
        if columns is not None and list(frame.columns) != columns[1]:
            raise PipelineError(
                f"{part[0]}: columns {list(frame.columns)} differ from those of {columns[0]} {columns[1]}"
            )
        frame.attrs.update(source=source, non_finite=settings["reading"]["non_finite"])
        target, numeric, categorical = settings["target"], settings["numeric"], settings["categorical"]
        check_target_column(frame, target)  # its values are checked once gathered: core/target.check_task
        # each row's hash, for the duplicates found once gathered (core/rows.py)
        hashes = row_hashes(frame) if settings["rows"]["duplicates"] != "keep" else None
        prepared = feature_rows(
            frame, lookups, numeric, categorical, settings["counted"], target, settings["dates"], allow_no_match=True
        )
        matched = {lookup_source: coverage * len(frame) for lookup_source, coverage in prepared.coverage.items()}
        rows, added = prepared.rows, prepared.added
        split = settings["split"]
        by = None
        if split["column"]:
            check_columns_joined(rows, [split["column"]], [source, *matched], f"preprocess.{split['kind']}_column")
            by = split_values(rows[split["column"]], split["kind"], source)
        cleaned = rows[numeric + [column for column, kind in added.items() if kind == "numeric"]].copy()
        for column in categorical + [column for column, kind in added.items() if kind == "categorical"]:
            cleaned[column] = to_category(rows[column]).astype("string[pyarrow]")
        for column in settings["counted"]:  # features.py: counted once the split is known
            cleaned[KEY_PREFIX + column] = as_keys(rows[column])
        cleaned[target] = prepared.target  # as read: the task is decided on the whole column
        return cleaned.reset_index(drop=True), matched, added, {"hashes": hashes, "split": by}
    except PartitionError:
        raise
    except PipelineError as error:  # named as the stage names files: relative to the project, if inside
        message = in_workspace(str(error).replace(str(readable[0]), str(part[0])), settings["project"])
        raise PartitionError(number, message) from None


def in_workspace(message: str, project: str) -> str:
    """`message` with the files in the project named relative to it, as the stages name them."""
    return message.replace(f"{project}/", "")


def part_summary(cleaned: tuple, settings: dict) -> dict:
    """What the whole table's checks, categories and profile need from one partition."""
    frame, matched, added, gathered = cleaned
    categorical = settings["categorical"] + [column for column, kind in added.items() if kind == "categorical"]
    features = [name for name in frame.columns if name != settings["target"] and not name.startswith(KEY_PREFIX)]
    return {
        "rows": len(frame),
        "target": frame[settings["target"]],
        "added": added,
        "categories": {column: set(frame[column].dropna().unique()) for column in categorical},
        "missing": {column: int(frame[column].isna().sum()) for column in features},
        "matched": matched,
        **gathered,  # row hashes and the split column's values, or None
    }


def write_part(
    cleaned: tuple, keep: np.ndarray, is_test: np.ndarray, schema: dict, folder: str, number: int, options: dict
) -> dict:
    """Partition `number` encoded as the local engine encodes (scoring/rows.encoded_rows: categories
    as int32 codes of the schema's categories, features the model refuses by name renamed; the target
    as core/target.encode_target stores it: classes as int32 codes, or float64 values), its rows that
    preprocess keeps (`keep`, core/rows.py) written as train and test parquet with the values of the
    count columns, which finish_part replaces by their counts; and the counts of its training rows."""
    frame = cleaned[0] if keep.all() else cleaned[0][keep].reset_index(drop=True)
    encoded = encoded_rows(frame, schema)
    target = schema["target"]
    if schema["task"] == "classification":
        labels = class_labels(frame[target]).cat.set_categories(schema["classes"])
        encoded[target] = labels.cat.codes.to_numpy().astype(np.int32)
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
    """features.add_counts of several partitions' counts, on a worker."""
    return add_counts({}, list(partials))


def finish_part(name: str, counts: dict, schema: dict, options: dict) -> None:
    """A written part with its count columns' values replaced by their count features."""
    with open_input(name, options) as file:
        frame = pd.read_parquet(file)
    keys = [KEY_PREFIX + column for column in schema["counts"].values()]
    values = frame[keys].rename(columns=lambda key: key.removeprefix(KEY_PREFIX))
    featured = frame.drop(columns=keys)
    for feature, column in count_features(values, schema, counts).items():  # by their model names
        featured[feature] = column
    with open_output(name, options) as file:
        featured.to_parquet(file, index=False)


def tree_reduce(function, items: list, width: int = 8):
    """`function` applied to groups of at most `width` delayed items, then to the groups' results,
    until one is left: no single task holds every partition's result at once."""
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
    """engine/local.build_dataset on the cluster: checks, joins, adds features, encodes and splits the
    main table partition by partition, writing train/test parquet folders into `folder`. Returns
    (schema, profile, raw_test_rows). With compute.storage the workers read the main table's files, and write their
    parts, there.
    """
    source = str(main_path)
    parts = main_table_parts(main_path)
    split = split_settings(split_params)
    keys = {key for _, key in lookups}
    # The first partition's columns and types stand for the table's: auto types and dates (core/columns.py)
    auto = AUTO in (data_params.get("numeric_columns"), data_params.get("categorical_columns"))
    project = str(Path.cwd().resolve())
    try:
        first_part = read_part(parts[0] if auto else head_of(parts[0]), reading)
    except PipelineError as error:  # parts are absolute paths (for the workers): named as the stage names them
        raise PipelineError(in_workspace(str(error), project)) from None
    first_part.attrs["source"] = source
    chosen = chosen_columns(data_params, [first_part, *(lookup for lookup, _ in lookups)], keys, split)
    numeric, categorical, counted, dates = chosen.numeric, chosen.categorical, chosen.counted, chosen.dates
    settings = {"reading": reading, "target": data_params["target"], "numeric": numeric, "categorical": categorical}
    settings |= {"counted": counted, "dates": dates, "split": split, "rows": row_settings(data_params)}
    settings["project"] = project
    settings["staged"] = storage.staged_files(sorted({part[0] for part in parts}))
    columns = None
    if len(parts) > 1 and main_path.is_dir():
        first = parts[0][0]
        columns = (str(first), table_columns(first, reading))
    lookups = clean_lookups(lookups, numeric, categorical, dates)
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

    added = added_features(summaries)
    numeric = numeric + [column for column, kind in added.items() if kind == "numeric"]
    categorical = categorical + [column for column, kind in added.items() if kind == "categorical"]
    features = numeric + categorical
    count_columns(data_params, features)  # an added feature may take a count feature's name
    target = data_params["target"]
    rows = sum(summary["rows"] for summary in summaries)
    keep, rows_out, task, task_reason, values, classes, is_test = split_rows(
        summaries, source, settings, data_params, split_params
    )
    schema = dataset_schema(task, task_reason, target, classes, numeric, categorical, counted)
    categories = {
        column: sorted(set().union(*(summary["categories"][column] for summary in summaries))) for column in categorical
    }
    schema = with_model_names(schema, categories)
    schema |= {"split": split, "dates": dates, **({"columns": chosen.decisions} if chosen.decisions else {})}
    coverage = {
        source_name: sum(summary["matched"][source_name] for summary in summaries) / rows
        for source_name in summaries[0]["matched"]
    }
    for source_name, share in coverage.items():
        if share == 0:
            key = next(lookup.key for lookup in lookups if lookup.source == source_name)
            raise PipelineError(
                f"{source_name}: no value of key column {key!r} matches the main table {source}; "
                "check that both files use the same ids"
            )
    missing = {column: sum(summary["missing"][column] for summary in summaries) / rows for column in features}
    profile = dataset_profile(task, values, classes, is_test, missing, coverage, rows_out, split)
    for name in ("train", "test"):
        (folder / f"{name}.parquet").mkdir()
    starts = np.concatenate([[0], np.cumsum([summary["rows"] for summary in summaries])])
    kept_starts = np.concatenate(
        [[0], np.cumsum([keep[start:end].sum() for start, end in zip(starts, starts[1:], strict=False)])]
    )
    output, options = storage.output_folder(folder)
    writes = [
        delayed(write_part)(
            part,
            keep[starts[number] : starts[number + 1]],
            is_test[kept_starts[number] : kept_starts[number + 1]],
            schema,
            output,
            number,
            options,
        )
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
    write_counts(counts, folder / COUNTS_FILE.name)
    wanted = split_params["raw_test_rows"]
    raw_test_rows = first_test_rows(parts, keep, is_test, starts, kept_starts, reading, target, wanted)
    return schema, profile, raw_test_rows


def split_rows(summaries: tuple, source: str, settings: dict, data_params: dict, split_params: dict) -> tuple:
    """(rows kept, what was left out, task, why, the target's values as stored, classes, the test
    rows) from the gathered target column (and row hashes and split column): core/rows.py,
    core/target.py and core/split.py as the local engine applies them. Each summary's gathered
    columns are taken out of it, so the table's are held once, and dropped here once used: at
    74 M rows they are most of what the stage itself holds while the workers write the splits."""
    target = data_params["target"]
    target_column = pd.concat([summary.pop("target") for summary in summaries], ignore_index=True)
    gathered_hashes = [summary.pop("hashes") for summary in summaries]
    hashes = np.concatenate(gathered_hashes) if gathered_hashes[0] is not None else None
    keep, rows_out = kept_rows(target_column, hashes, settings["rows"])
    del hashes, gathered_hashes
    kept = target_column if keep.all() else target_column[keep]  # row labels kept: errors name the table's rows
    del target_column
    table = kept.to_frame(name=target)
    table.attrs["source"] = source
    task, task_reason = check_task(table, data_params)
    del table
    values, classes, strata = encode_target(kept, task, source, split_params["test_size"])
    del kept
    split = settings["split"]
    by = np.concatenate([summary.pop("split") for summary in summaries])[keep] if split["column"] else None
    is_test = holdout(split, len(values), split_params["test_size"], split_params["seed"], strata, by)
    return keep, rows_out, task, task_reason, values, classes, is_test


def first_test_rows(
    parts: list,
    keep: np.ndarray,
    is_test: np.ndarray,
    starts: np.ndarray,
    kept_starts: np.ndarray,
    reading: dict,
    target: str,
    wanted: int,
) -> pd.DataFrame:
    """The first `wanted` rows of the test split as read (without the target), as the local engine
    keeps them: the partitions are read again here, in order, until there are enough (one, mostly).
    `keep`: the rows preprocess keeps (core/rows.py), by row of the table; `is_test`, by kept row."""
    found: list[pd.DataFrame] = []
    for number, part in enumerate(parts):
        if sum(len(rows) for rows in found) >= wanted:
            break
        frame = read_part(part, reading)
        kept = frame[keep[starts[number] : starts[number + 1]]]
        found.append(kept[is_test[kept_starts[number] : kept_starts[number + 1]]].drop(columns=[target]))
    return pd.concat(found, ignore_index=True).head(wanted) if found else pd.DataFrame()


def added_features(summaries: tuple) -> dict[str, str]:
    """The kind (numeric or categorical) of each feature features.add_features added, the same in
    every partition: a column numeric in one block of rows and text in another is an error."""
    kinds: dict[str, str] = {}
    for summary in summaries:
        for column, kind in summary["added"].items():
            if kinds.setdefault(column, kind) != kind:
                raise PipelineError(
                    f"features.py: add_features() made {column!r} numeric in some rows and text in others; "
                    "give it one type (e.g. .astype(float), or .astype(str) for a category)"
                )
    if any(list(summary["added"]) != list(kinds) for summary in summaries):
        raise PipelineError("features.py: add_features() added different columns to different blocks of rows")
    return kinds


def _counted_from_table_start(error: PartitionError, parts: list, reading: dict) -> str:
    """The error's message with "at data row N" counted from the table's first row, as the local
    engine counts (the rows of the partitions before are counted only now, on failure)."""
    match = re.search(r"at data row (\d+)", error.message)
    if not match or error.number == 0:
        return error.message
    before = sum(len(read_part(part, reading)) for part in parts[: error.number])
    return error.message.replace(match.group(0), f"at data row {int(match.group(1)) + before}", 1)
