"""Data drift in the report of a baked project, for real: branches of a committed main, `dvc repro`
and `make report` against main, which reads main's reports/feature_distributions.json with git.

A branch that scales one numeric column flags exactly that feature; a branch that changes only a
model param flags none. Only the preprocess stage is reproduced: it alone writes the distributions
(the param branch checks that it does not even rerun), and the report reads the rest as committed.
"""

import csv
import os
import re
from pathlib import Path

from conftest import copy_project, run, stages_run

GIT_IDENTITY = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com", "GIT_COMMITTER_NAME": "Test",
                "GIT_COMMITTER_EMAIL": "test@example.com"}


def git(project: Path, *args: str) -> None:
    run(["git", *args], cwd=project, env=GIT_IDENTITY)


def dvc_repro_preprocess(project: Path) -> str:
    """`dvc repro preprocess` as make runs it: the project's environment first on PATH."""
    path = f"{project / '.venv/bin'}:{os.environ['PATH']}"
    return run([".venv/bin/dvc", "repro", "preprocess"], cwd=project, env={"PATH": path}).stdout


def report_section(project: Path, title: str) -> str:
    report = (project / "cml-report/report.md").read_text()
    return report.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def drift_section(project: Path) -> str:
    run(["make", "report", "BASE_BRANCH=main"], cwd=project)
    return report_section(project, "Data drift")


def flagged(section: str) -> list[str]:
    return re.findall(r"^\| (\S+) \| \w+ \| [0-9.]+ \| ⚠️ drifted \|$", section, flags=re.M)


def test_the_report_flags_the_scaled_column_and_nothing_for_a_param_change(reproduced_project, tmp_path):
    project = copy_project(reproduced_project[0], tmp_path)
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "--message", "Train the first model")

    # Given a branch whose songs table has song_length scaled by 2.5
    git(project, "checkout", "--quiet", "-b", "longer-songs")
    songs = project / "data/raw/songs.csv"
    with songs.open(newline="") as file:
        rows = list(csv.DictReader(file))
    for row in rows:
        row["song_length"] = str(round(float(row["song_length"]) * 2.5))
    with songs.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert stages_run(dvc_repro_preprocess(project)) == ["preprocess"]
    # Then its report flags song_length, and only it
    section = drift_section(project)
    assert flagged(section) == ["song_length"], section
    assert "**1 feature(s) drifted**: `song_length`." in section and "drift.psi_threshold = 0.2" in section
    # (and the same report draws the training curves against main's committed ones: tests/test_training_curves.py)
    curves = report_section(project, "Training curves")
    assert "![Loss per boosting round (train and validation rows)](training_curves.png)" in curves
    assert "has no training curves yet" not in curves
    assert (project / "cml-report/training_curves.png").read_bytes()[:4] == b"\x89PNG"

    # Given a branch from main that changes only a model param
    git(project, "checkout", "--quiet", "--force", "main")
    run([".venv/bin/dvc", "checkout", "--force", "--quiet"], cwd=project)
    git(project, "checkout", "--quiet", "-b", "deeper-trees")
    params = project / "params.yaml"
    params.write_text(params.read_text().replace("    max_depth: 5\n", "    max_depth: 8\n", 1))
    assert stages_run(dvc_repro_preprocess(project)) == []
    # Then its report flags nothing
    section = drift_section(project)
    assert flagged(section) == [] and "No feature drifted." in section
    assert re.search(r"^\| song_length \| numeric \| 0\.0000 \|", section, flags=re.M)
