"""Your own data, for real: four public tables (tools/public_tables.py) each brought into a set-up
project by `make own-data` and at most two params.yaml edits, trained by `make repro` and passed by
the gate; and each problem a new table brings named in one line by the real preprocess stage.

The projects are copies of the session's set-up project (conftest.ready_project); the tables are
small, so each repro takes seconds of training.
"""

import json
import shutil

import pytest
from conftest import copy_project, run, stages_run
from test_dask import set_params
from tools.public_tables import diamonds, digits, males, schools

STAGES = ["preprocess", "train", "evaluate", "sanity-check", "bundle"]

# id: (writes the table(s) into data/raw, target, params.yaml edits after make own-data, the gate
# metric own-data picks, a score the model must reach, what preprocess must have said)
TABLES = {
    "males-binary-text-gaps-by-time": (
        males, "union", {"split": "time", "time_column": "year"}, "roc_auc", 0.75,
        ["columns auto: categorical ethn, married, health, industry, occupation, residence",
         "3270 train / 1090 test rows (by time 'year')"],
    ),
    "digits-ten-classes-parquet": (
        digits, "target", {}, "roc_auc", 0.99, ["columns auto: numeric pixel_0_0", "64 features, classes ['0', '1'"],
    ),
    "diamonds-regression-gzip-csv": (
        diamonds, "price", {}, "r2", 0.95, ["task regression", "columns auto: categorical cut, color, clarity"],
    ),
    "schools-with-a-side-table": (
        schools, "lang", {"lookups": "[{table: classes.csv, key: class}]"}, "r2", 0.3,
        ["columns auto: numeric IQ[verbal], SES, GS, COMB",
         "renamed column 'IQ[verbal]' to 'IQ(verbal)' for the model"],
    ),
}  # fmt: skip


@pytest.mark.parametrize(("write", "target", "edits", "metric", "at_least", "said"), TABLES.values(), ids=TABLES)
def test_a_public_table_trains_after_make_own_data_and_at_most_two_edits(
    ready_project, tmp_path, write, target, edits, metric, at_least, said
):
    # given a set-up project (the sample data) and a public table put in its data/raw
    project = copy_project(ready_project, tmp_path)
    raw = project / "data/raw"
    main = write(raw, project / ".venv/bin/python") if write is digits else write(raw)
    # when the project switches to it in one step, and params.yaml gets at most two edits
    switched = run(["make", "own-data", f"MAIN={main}", f"TARGET={target}"], cwd=project)
    assert len(edits) <= 2
    set_params(project, **edits)
    result = run(["make", "repro"], cwd=project)
    output = result.stdout + result.stderr
    # then only that table is left, the four stages ran and the gate passed on the task's metric
    assert f"gate.metric {metric}" in switched.stdout
    assert not {"interactions.csv", "members.csv", "songs.csv"} & {path.name for path in raw.iterdir()}
    assert stages_run(result.stdout) == STAGES
    assert f"gate passed: {metric}" in result.stdout
    score = json.loads((project / "metrics.json").read_text())[metric]
    assert score > at_least, f"{metric} {score}"
    for line in said:
        assert line in output
    print(f"\n| {main} | {target} | {len(edits)} | {metric} {score:.4f} |")  # the table in the README (-s)


# --- Each problem in one line, from the real preprocess stage --------------------------------
def outside_raw_dir(project):
    shutil.copy(project / "data/raw/interactions.csv", project / "data/interactions.csv")
    set_params(project, main_table="../interactions.csv")


PROBLEMS = {  # id: (how params.yaml or the data is changed, what preprocess must say, whether it fails)
    "column-in-both-lists": (
        lambda project: set_params(project, numeric_columns="[bd, song_length, city]"),
        "error: params.yaml: column 'city' is in both data.numeric_columns and data.categorical_columns; keep it in one",
        True,
    ),
    "target-among-the-features": (
        lambda project: set_params(project, numeric_columns="[bd, target]"),
        "error: params.yaml: the target 'target' is also listed in data.numeric_columns; a feature cannot be the answer",
        True,
    ),
    "table-outside-raw-dir": (
        outside_raw_dir,
        "error: params.yaml: data.main_table '../interactions.csv' lies outside data.raw_dir (data/raw), which DVC "
        "tracks",
        True,
    ),
    "duplicate-rows-warned": (
        lambda project: set_params(project, duplicates="warn"),
        "warning: data/raw/interactions.csv: ",  # the sample repeats plays: its count and share follow
        False,
    ),
}


@pytest.mark.parametrize(("change", "message", "fails"), PROBLEMS.values(), ids=PROBLEMS)
def test_each_problem_of_a_new_table_is_one_line_naming_what_to_change(project_copy, change, message, fails):
    # given the set-up sample project with one problem
    change(project_copy)
    # when preprocess runs for real
    result = run([".venv/bin/dvc", "repro", "preprocess"], cwd=project_copy, check=False,
                 env={"PATH": f"{project_copy}/.venv/bin:/usr/bin:/bin"})
    # then it says so in one line (and, for an error, stops and writes nothing)
    lines = [line for line in result.stderr.splitlines() if message in line]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert (result.returncode != 0) == fails
    assert (project_copy / "data/processed").exists() != fails
    if not fails:
        assert "of 20000 rows (" in lines[0] and "set data.duplicates: drop" in lines[0]
