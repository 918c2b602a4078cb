"""Stage 1, preprocess: raw tables -> validated, joined, featured, encoded train/test splits.

Reads the lookup tables that params.yaml names (dataset.py) and hands them, with the main table,
to the engine, which checks every table, joins the lookups on their keys, adds your features
(features.py), encodes categoricals and splits train/test with a fixed seed (core/split.py).
Every check names the file and the column at fault, and nothing is written unless all pass.

The task (classification or regression, params.yaml data.task) is decided here, once
(core/target.py), and recorded in schema.json and the data profile for every later stage and the gate.

It prints what it decided: the task, the columns `auto` chose (core/columns.py), columns renamed
for the model, rows left out or found repeated (core/rows.py) and the split (core/split.py).

Outputs: data/processed/{train,test}.parquet, counts.parquet and schema.json (task, features,
categories, classes); reports/data_profile.json (task, rows, class balance or target summary,
missing values, join coverage) and reports/feature_distributions.json (for the drift report); and
data/raw_test_rows.parquet, the test split's first rows as they were read (preprocess.raw_test_rows
of them, without the target), which the bundle stage sends through the scoring path to check it.
"""

import os
import sys
from pathlib import Path

from ..core.columns import LISTS, check_column_lists, column_list, describe_decisions, describe_renames
from ..core.drift import drift_params
from ..core.errors import PipelineError, run
from ..core.files import atomic_path, write_json
from ..core.params import load_params
from ..core.paths import DATA_PROFILE_FILE, FEATURE_DISTRIBUTIONS_FILE, PROCESSED_DIR, RAW_TEST_ROWS_FILE
from ..core.rows import describe_duplicates, row_settings
from ..core.split import split_settings
from ..dataset import read_table, reading_params
from ..engine import open_engine


def main() -> None:
    params = load_params(required=("data", "preprocess", "drift"))  # every setting checked before any work
    data = params["data"]
    drift = drift_params(params)  # checked before the slow part
    rows = row_settings(data)  # the new data settings, checked before any table is read
    split_settings(params["preprocess"])
    check_column_lists(data, *(column_list(data, key) for key in LISTS))
    raw_dir = Path(data["raw_dir"])
    reading = reading_params(data)
    lookups = [
        (read_table(tracked_table(raw_dir, lookup["table"], "data.lookups"), reading), lookup["key"])
        for lookup in data.get("lookups") or []
    ]
    main_table = tracked_table(raw_dir, data["main_table"], "data.main_table")
    with open_engine(params) as engine, atomic_path(PROCESSED_DIR, directory=True) as folder:
        prepared = engine.prepare(main_table, lookups, data, params["preprocess"], drift, folder)
        write_json(folder / "schema.json", prepared.schema)
    with atomic_path(RAW_TEST_ROWS_FILE) as temporary:
        prepared.raw_test_rows.to_parquet(temporary, index=False)
    write_json(DATA_PROFILE_FILE, prepared.profile)
    write_json(FEATURE_DISTRIBUTIONS_FILE, prepared.distributions)
    report(prepared.schema, prepared.profile, str(main_table), rows["duplicates"])


def tracked_table(raw_dir: Path, name, setting: str) -> Path:
    """raw_dir / name, refused unless it lies inside raw_dir: DVC tracks data.raw_dir (dvc.yaml),
    so a table elsewhere (an absolute path, ../..) could change without rerunning anything. The
    path is judged as written (a link inside raw_dir is DVC's to follow, and it does)."""
    if not isinstance(name, str) or not name:
        raise PipelineError(f"params.yaml: {setting} names no table: give a file name in {raw_dir}")
    path = raw_dir / name
    if not inside(path, raw_dir):
        raise PipelineError(
            f"params.yaml: {setting} {name!r} lies outside data.raw_dir ({raw_dir}), which DVC tracks: a table "
            f"there could change without rerunning the pipeline. Move it into {raw_dir} (then dvc add {raw_dir})"
        )
    return path


def inside(path: Path, folder: Path) -> bool:
    """Whether `path` lies in `folder`, by their names with . and .. resolved (links not followed)."""
    return Path(os.path.normpath(path)).is_relative_to(os.path.normpath(folder)) and path != folder


def report(schema: dict, profile: dict, source: str, duplicates: str) -> None:
    """What preprocess decided, a line each (the stage's output in dvc repro's log)."""
    print(f"preprocess: task {schema['task']} ({schema['task_reason']})")
    for line in describe_decisions(schema.get("columns") or {}) + describe_renames(schema.get("renamed") or {}):
        print(f"preprocess: {line}")
    rows_out = profile.get("rows_out") or {}
    total = profile["rows"]["total"] + rows_out.get("missing_target_dropped", 0) + rows_out.get("duplicates_dropped", 0)
    if rows_out.get("missing_target_dropped"):
        dropped = rows_out["missing_target_dropped"]
        print(f"preprocess: data.missing_target: drop: left out {dropped} rows without a target")
    if rows_out.get("duplicate_rows"):
        line = describe_duplicates(source, rows_out["duplicate_rows"], total, duplicates)
        print(f"preprocess: {line}", file=sys.stderr if line.startswith("warning") else sys.stdout)
    split = schema["split"]
    how = {"random": "random rows", "group": f"by group {split['column']!r}", "time": f"by time {split['column']!r}"}
    split_rows = profile["rows"]
    target = f"classes {schema['classes']}" if schema["task"] == "classification" else f"target {schema['target']!r}"
    print(
        f"preprocess: {split_rows['train']} train / {split_rows['test']} test rows ({how[split['kind']]}), "
        f"{len(schema['features'])} features, {target}"
    )


if __name__ == "__main__":
    run(main)
