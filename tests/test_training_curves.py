"""Training curves in a baked project, for real: `make repro` writes dvclive's per-round losses,
dvc.yaml declares them as plots (DVC and DVC Studio read them), they stay out of `dvc exp show`,
and `make report` draws them against the base branch's committed copy."""

import json

from conftest import copy_project, run

GIT_IDENTITY = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com", "GIT_COMMITTER_NAME": "Test",
                "GIT_COMMITTER_EMAIL": "test@example.com"}
CURVES = "reports/training/plots/metrics"


def test_repro_writes_curves_that_dvc_knows_as_plots_and_not_as_metrics(reproduced_project):
    project, _ = reproduced_project
    validation = (project / CURVES / "validation/logloss.tsv").read_text().splitlines()
    assert validation[0] == "step\tlogloss" and len(validation) > 10  # one row per boosting round
    assert (project / CURVES / "train/logloss.tsv").exists()
    plots = json.loads(run([".venv/bin/dvc", "plots", "show", "--json"], cwd=project).stdout)["data"]
    assert f"{CURVES}/validation/logloss.tsv" in plots and f"{CURVES}/train/logloss.tsv" in plots
    shown = run([".venv/bin/dvc", "exp", "show", "--json"], cwd=project).stdout
    assert "reports/training" not in shown.split('"metrics"', 1)[-1].split('"params"', 1)[0]


def test_the_report_draws_the_curves_against_the_base(reproduced_project, tmp_path):
    project = copy_project(reproduced_project[0], tmp_path)
    run(["git", "add", "--all"], cwd=project, env=GIT_IDENTITY)
    run(["git", "commit", "--quiet", "--message", "Train the first model"], cwd=project, env=GIT_IDENTITY)
    run(["make", "report", "BASE_BRANCH=main"], cwd=project)
    report = (project / "cml-report/report.md").read_text()
    section = report.split("## Training curves", 1)[1].split("\n## ", 1)[0]
    assert "![Loss per boosting round (train and validation rows)](training_curves.png)" in section
    assert "has no training curves yet" not in section  # main's committed curves were found
    assert (project / "cml-report/training_curves.png").read_bytes()[:4] == b"\x89PNG"
