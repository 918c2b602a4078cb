"""The report's data section: rows per split, the class balance (or a regression target's range)
and any other change in reports/data_profile.json, this branch against the base."""

import re

from ..core.paths import DATA_PROFILE_FILE
from ..core.target import task_of
from .markdown import cell, signed
from .regression import target_rows
from .revisions import base_json, dvc, local_json


def data_section(base_rev: str | None, base_label: str) -> list[str]:
    lines = ["## Data", ""]
    profile = local_json(DATA_PROFILE_FILE)
    if profile is None:
        return [*lines, f"No {DATA_PROFILE_FILE}: the preprocess stage has not run."]
    base = base_json(base_rev, DATA_PROFILE_FILE)
    rows = [
        (f"rows ({split})", count, base["rows"].get(split) if base else None)
        for split, count in profile["rows"].items()
    ]
    if task_of(profile) == "regression":
        rows += target_rows(profile, base)
    else:
        base_balance = (base or {}).get("class_balance") or {}
        classes = sorted(set(profile["class_balance"]) | set(base_balance))
        rows += [
            (f"share of class {name}", profile["class_balance"].get(name), base_balance.get(name)) for name in classes
        ]
    lines += [f"| | {base_label} | This branch | Change |", "|---|---|---|---|"]
    for label, value, old in rows:
        change = "" if value is None or old is None else signed(value - old)
        lines.append(f"| {label} | {cell(old)} | {cell(value)} | {change} |")
    lines += ["", split_line(profile, base)]
    if base is None and base_rev is not None:
        lines += ["", f"_{base_label} has no {DATA_PROFILE_FILE} yet: only this branch's figures are shown._"]
    elif base is not None and base_rev is not None:
        lines += other_profile_changes(base_rev)
    return lines


SPLITS = {  # core/split.py: how preprocess chose the test rows
    "random": "rows at random (stratified by class, or by a regression target's deciles)",
    "group": "by group: every {column} in one split only, none in both",
    "time": "by time: the test rows are the latest by {column}, later than every training row",
}


def split_line(profile: dict, base: dict | None) -> str:
    """Which split preprocess made (data profile "split"; one written before splits were chosen: random)."""
    kind, _, column = str(profile.get("split", "random")).partition(": ")
    line = f"Test split: {SPLITS.get(kind, kind).format(column=f'`{column}`')}."
    base_split = (base or {}).get("split", "random")
    if base is not None and base_split != profile.get("split", "random"):
        line += f" The base split differently ({base_split}): the scores compare different test rows."
    return line


def other_profile_changes(base_rev: str) -> list[str]:
    """What else in the data profile (missing values, join coverage) changed, as `dvc metrics diff` sees it."""
    succeeded, output = dvc("metrics", "diff", base_rev, "--md", "--targets", str(DATA_PROFILE_FILE))
    rows = [line for line in output.splitlines() if line.startswith("|")] if succeeded else []
    changed = [row for row in rows[2:] if not re.match(r"\|[^|]*\|\s*(rows|class_balance|target_summary)\.", row)]
    if not changed:
        return []
    return ["", f"Other changes in {DATA_PROFILE_FILE}:", "", *rows[:2], *changed]
