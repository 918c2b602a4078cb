"""Switch the project from the sample data to your own table, in one step (make own-data).

    make own-data MAIN=customers.csv TARGET=churned     # the table in data/raw, the column to predict
    python -m {{ cookiecutter.module_name }}.ops.own_data --main customers.csv --target churned

Checks that data/raw holds the table and that the table has the target column, then:
  - removes the sample's tables from data/raw (those whose header is the sample generator's);
  - params.yaml, data: main_table and target set; lookups, drop_columns and count_columns (the
    sample's KKBox settings) emptied; numeric_columns and categorical_columns set to auto (typed
    from your data, core/columns.py); the sample generator's settings (sample:) removed;
    duplicates: warn (the sample's repeated plays are real, yours may be copies);
  - gate.metric set from the task the target asks for (core/target.py, as preprocess decides it):
    roc_auc for classification, r2 for regression;
  - baseline.txt set to a floor a new data set can pass only by beating chance: ROC AUC 0.55 (0.5
    is guessing), r2 0.05 (0 is always predicting the mean). After the first sound run, raise it to
    the model's score with `make baseline` and commit: from then on the ratchet keeps it there.

params.yaml is edited line by line, so every comment stays; each value is written by the YAML
library (escaped) and the result is read back and checked before the file is replaced. Nothing
is changed if any check fails. The Makefile's own-data target then tracks data/raw with DVC.
"""

import argparse
import os
import re
from pathlib import Path

import yaml

from ..core.errors import PipelineError, run
from ..core.files import atomic_path
from ..core.params import load_params
from ..core.paths import BASELINE_FILE, PARAMS_FILE
from ..core.target import decide_task, requested_task
from ..dataset import read_table, reading_params, table_columns
from ..sample_data import generate
from .gate import write_baseline

GATE_METRIC = {"classification": "roc_auc", "regression": "r2"}
# Chance plus a margin: what a model must beat to pass before its first real floor is set.
NEW_DATA_FLOOR = {"roc_auc": 0.55, "r2": 0.05}


def sample_tables() -> dict[str, list[str]]:
    """The sample generator's tables: file name -> columns."""
    return {name: list(frame.columns) for name, frame in generate(1, seed=0)}


def switch(main: str, target: str, params_path: Path = PARAMS_FILE, baseline_path: Path = BASELINE_FILE) -> list[str]:
    """Point the project at `main` (a table in data.raw_dir) with `target`; what was done, a line each."""
    params = load_params(params_path)
    data = params.get("data") or {}
    raw_dir = Path(data.get("raw_dir", "data/raw"))
    path = raw_dir / main
    if not main or not Path(os.path.normpath(path)).is_relative_to(os.path.normpath(raw_dir)) or not path.exists():
        raise PipelineError(f"MAIN={main!r}: put your table in {raw_dir}/ first and name it by its file name there")
    reading = reading_params(data)
    table = read_table(path, reading)
    if target not in table.columns:
        raise PipelineError(
            f"{path}: TARGET={target!r} is not one of its columns: {', '.join(map(str, table.columns))}"
        )
    task, why = decide_task(table[target], requested_task(data), str(path))
    metric = GATE_METRIC[task]

    done = []
    removed = [name for name, columns in sample_tables().items() if is_sample_table(raw_dir / name, columns, reading)]
    removed = [name for name in removed if (raw_dir / name).resolve() != path.resolve()]
    settings = {
        ("data", "main_table"): main,
        ("data", "target"): target,
        ("data", "lookups"): [],
        ("data", "numeric_columns"): "auto",
        ("data", "categorical_columns"): "auto",
        ("data", "drop_columns"): [],
        ("data", "count_columns"): [],
        ("data", "duplicates"): "warn",
        ("gate", "metric"): metric,
    }
    text = params_path.read_text(encoding="utf-8")
    for (section, key), value in settings.items():
        text = set_value(text, section, key, value)
    text = remove_key(text, "data", "sample")
    check_written(text, settings, params_path)
    with atomic_path(params_path) as written:
        written.write_text(text, encoding="utf-8")
    for name in removed:
        (raw_dir / name).unlink()
    write_baseline(NEW_DATA_FLOOR[metric], baseline_path)
    done.append(f"data/raw: removed the sample's {', '.join(removed)}" if removed else "data/raw: no sample table")
    done.append(f"params.yaml: data.main_table {main}, data.target {target}, columns auto, no lookups or count columns")
    done.append(f"task {task} ({why}): gate.metric {metric}, baseline.txt {NEW_DATA_FLOOR[metric]} (beats chance)")
    return done


def is_sample_table(path: Path, columns: list[str], reading: dict) -> bool:
    return path.is_file() and table_columns(path, reading) == columns


# --- Editing params.yaml line by line, so its comments stay -----------------------------------
def _section(text: str, section: str) -> tuple[int, int]:
    """(start, end) offsets of a top-level section's body (the lines after `section:`)."""
    match = re.search(rf"(?m)^{re.escape(section)}:[^\n]*\n", text)
    if not match:
        raise PipelineError(f"params.yaml has no `{section}:` section; restore it from the template")
    following = re.search(r"(?m)^\S", text[match.end() :])
    return match.end(), match.end() + following.start() if following else len(text)


def _entry(text: str, section: str, key: str) -> re.Match | None:
    """The `  key: value  # comment` line of a section, with the more indented lines of its value
    below it (a list's items; not the comment lines that continue its comment)."""
    start, end = _section(text, section)
    line = rf"(?m)^  {re.escape(key)}:(?P<value>[^\n#]*?)(?P<comment>[ \t]+#[^\n]*)?\n"
    return re.compile(line + r"(?P<block>(?:    [ \t]*[^#\s][^\n]*\n)*)").search(text, start, end)


def set_value(text: str, section: str, key: str, value) -> str:
    """`section.key` set to `value` (written by the YAML library), its comment kept."""
    rendered = yaml.safe_dump(value, default_flow_style=True, width=10**6).strip().removesuffix("...").strip()
    match = _entry(text, section, key)
    if match is None:  # a key the file lacks: added at the end of its section
        _, end = _section(text, section)
        body = text[:end].rstrip("\n")
        gap = text[len(body) : end] or "\n"  # the blank lines that close the section stay after it
        return f"{body}\n  {key}: {rendered}{gap}{text[end:]}"
    line = f"  {key}: {rendered}"
    if match["comment"]:  # the comment stays in its column where the new value leaves room
        comment = match["comment"].lstrip()
        line += " " * max(match.start("comment") + len(match["comment"]) - len(comment) - match.start() - len(line), 1)
        line += comment
    return f"{text[: match.start()]}{line}\n{text[match.end() :]}"


def remove_key(text: str, section: str, key: str) -> str:
    match = _entry(text, section, key)
    return text if match is None else text[: match.start()] + text[match.end() :]


def check_written(text: str, settings: dict, path: Path) -> None:
    """The edited text holds exactly the values set (read back by the YAML library)."""
    try:
        edited = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise PipelineError(f"{path}: could not be edited safely ({error}); nothing was changed") from None
    for (section, key), value in settings.items():
        if (edited.get(section) or {}).get(key) != value:
            raise PipelineError(f"{path}: could not set {section}.{key} safely; nothing was changed")


def main() -> None:
    parser = argparse.ArgumentParser(description="Switch from the sample data to your own table.")
    parser.add_argument("--main", required=True, help="your main table: a file (or folder) in data/raw")
    parser.add_argument("--target", required=True, help="the column of the main table to predict")
    arguments = parser.parse_args()
    for line in switch(arguments.main, arguments.target):
        print(f"own-data: {line}")
    print(
        "own-data: next: make repro (preprocess prints the columns it chose), then make baseline to set the floor "
        "to your first model's score, and commit (git add --all)"
    )


if __name__ == "__main__":
    run(main)
