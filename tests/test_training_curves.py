"""Training curves in a baked project, for real: `make repro` writes dvclive's per-round losses,
dvc.yaml declares them as plots (DVC and DVC Studio read them), and they stay out of `dvc exp show`.
That `make report` draws them against the base branch's copy is checked on the report that
tests/test_drift.py builds anyway (a report costs a few seconds of dvc and matplotlib)."""

import json

from conftest import run

CURVES = "reports/training/plots/metrics"


def test_repro_writes_curves_that_dvc_knows_as_plots_and_not_as_metrics(reproduced_project):
    project, _ = reproduced_project
    validation = (project / CURVES / "validation/logloss.tsv").read_text().splitlines()
    assert validation[0] == "step\tlogloss" and len(validation) > 10  # one row per boosting round
    assert (project / CURVES / "train/logloss.tsv").exists()
    plots = json.loads(run([".venv/bin/dvc", "plots", "show", "--json"], cwd=project).stdout)["data"]
    assert f"{CURVES}/validation/logloss.tsv" in plots and f"{CURVES}/train/logloss.tsv" in plots
    experiments = json.loads(run([".venv/bin/dvc", "exp", "show", "--json"], cwd=project).stdout)
    metric_files = {file for row in experiments for file in (row["data"].get("metrics") or {})}
    assert "metrics.json" in metric_files  # the model's metrics are there: the check below can fail
    assert not [file for file in metric_files if file.startswith("reports/training")]

