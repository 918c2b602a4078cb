"""Your own table, classification or regression, through the real pipeline with params.yaml edits only.

One baked project (conftest.ready_project) gets a small penguins-shaped table made by code
(tools/regression_data.py: 340 rows, NaNs, text categoricals, no lookups) in place of the KKBox
sample. Then, for real (`make repro`, `make baseline`, `make report`):
  - a numeric target is detected as regression, trained, evaluated and checked; the gate works
    with rmse (lower is better) and its ratchet; a worse model fails it; the report draws the
    regression plots against main;
  - a model that predicts a constant fails the sanity checks, for a regression and for a
    3-class target on the same few hundred rows, while the sound model passes both.
"""

import json
import re

import pytest
import yaml
from conftest import copy_project, run, stages_run
from tools.regression_data import use_in

GIT_IDENTITY = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com", "GIT_COMMITTER_NAME": "Test",
                "GIT_COMMITTER_EMAIL": "test@example.com"}
# learning_rate 0: every tree adds nothing, so xgboost predicts its starting value for every row
CONSTANT_MODEL = {"learning_rate": 0, "early_stopping_rounds": None}


@pytest.fixture(scope="module")
def regression_project(ready_project, tmp_path_factory):
    """(project, output of `make repro`): the default bake with the penguins table, body mass as
    target and rmse as the gate metric, params.yaml edited as a user would."""
    project = copy_project(ready_project, tmp_path_factory.mktemp("regression"))
    use_in(project, gate_metric="rmse")
    first = run(["make", "repro"], cwd=project, check=False)
    return project, first.stdout + first.stderr, first.returncode


def set_xgboost(project, **arguments) -> None:
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["train"]["xgboost"] |= arguments
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def sanity_failures(project) -> set[str]:
    return {check["name"] for check in json.loads((project / "reports/sanity.json").read_text())["checks"]
            if not check["passed"]}


def test_a_numeric_target_runs_as_regression_and_says_so(regression_project):
    project, output, _ = regression_project
    assert "preprocess: task regression (auto: target 'body_mass_g' is regression because it holds" in output
    assert stages_run(output) == ["preprocess", "train", "evaluate", "sanity-check", "bundle"]
    metrics = json.loads((project / "metrics.json").read_text())
    assert set(metrics) == {"rmse", "mae", "r2", "test_rows"}
    assert metrics["r2"] > 0.8  # body mass follows species, sex and flipper length closely
    assert sanity_failures(project) == set()
    for plot in ("predicted_vs_actual.csv", "residuals.csv", "feature_importance.csv"):
        assert (project / "reports/plots" / plot).stat().st_size > 100
    assert (project / "reports/plots/regression.png").read_bytes()[:4] == b"\x89PNG"
    assert "UserWarning" not in output


def test_the_gate_ratchets_rmse_down_and_fails_a_worse_model_and_the_report_shows_it(regression_project, tmp_path):
    project = copy_project(regression_project[0], tmp_path)
    _, output, returncode = regression_project
    # the shipped floor is for roc_auc: an rmse in grams is "worse" until the user sets its floor
    assert returncode != 0 and "rmse" in output and "is worse than the baseline 0.75000" in output
    run(["make", "baseline", "FORCE=1"], cwd=project)
    rmse = json.loads((project / "metrics.json").read_text())["rmse"]
    assert float(re.findall(r"(?m)^[0-9.]+$", (project / "baseline.txt").read_text())[0]) == pytest.approx(rmse)
    assert f"gate passed: rmse {rmse:.5f} <= baseline" in run(["make", "gate"], cwd=project).stdout
    run(["git", "checkout", "-q", "-B", "main"], cwd=project)
    run(["git", "add", "-A"], cwd=project)
    run(["git", "commit", "-q", "-m", "regression model"], cwd=project, env=GIT_IDENTITY)

    # a worse model on a branch: fewer, shallower trees
    run(["git", "checkout", "-q", "-b", "worse"], cwd=project)
    set_xgboost(project, n_estimators=3, max_depth=1)
    failed = run(["make", "repro"], cwd=project, check=False)
    assert failed.returncode != 0
    assert re.search(r"rmse [0-9.]+ is worse than the baseline " + f"{rmse:.5f}", failed.stderr)
    # the ratchet never moves an rmse floor the wrong way
    floor = (project / "baseline.txt").read_text()
    assert run(["make", "baseline"], cwd=project, check=False).returncode != 0
    assert (project / "baseline.txt").read_text() == floor

    run(["make", "report"], cwd=project)
    report = (project / "cml-report/report.md").read_text()
    assert "## Gate: ❌ failed" in report and "| Gate metric (lower is better) | rmse |" in report
    assert "| target mean (train) |" in report and "share of class" not in report
    assert "![Predicted vs actual, residuals](regression.png)" in report
    assert (project / "cml-report/regression.png").read_bytes()[:4] == b"\x89PNG"
    assert not (project / "cml-report/roc.png").exists()


def test_a_classification_metric_on_the_regression_target_is_one_clear_line(regression_project, tmp_path):
    project = copy_project(regression_project[0], tmp_path)
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["gate"]["metric"] = "roc_auc"
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    result = run(["make", "gate"], cwd=project, check=False)
    assert result.returncode != 0
    assert ("error: params.yaml: gate.metric 'roc_auc' is not a regression metric; the target is regression "
            "(reports/data_profile.json: task), so choose one of rmse, mae, r2") in result.stderr
    assert "Traceback" not in result.stderr


def test_a_constant_regressor_fails_the_sanity_checks(regression_project, tmp_path):
    project = copy_project(regression_project[0], tmp_path)
    set_xgboost(project, **CONSTANT_MODEL)
    run(["make", "repro"], cwd=project, check=False)
    assert {"beats_mean_baseline", "prediction_spread"} <= sanity_failures(project)


def test_a_small_three_class_table_passes_the_default_checks_and_a_constant_classifier_fails(
    regression_project, tmp_path
):
    # the same 340 rows with species as the target: 3 classes, 68 test rows (the old minimum was 100)
    project = copy_project(regression_project[0], tmp_path)
    use_in(project, gate_metric="roc_auc", target="species", categorical_columns=["island", "sex"],
           numeric_columns=["bill_length_mm", "flipper_length_mm", "body_mass_g"])
    output = run(["make", "repro"], cwd=project).stdout
    assert "task classification (auto: target 'species' is classification because it holds text" in output
    assert sanity_failures(project) == set()

    set_xgboost(project, **CONSTANT_MODEL)
    assert run(["make", "repro"], cwd=project, check=False).returncode != 0  # the gate fails it
    failures = sanity_failures(project)
    assert {"beats_chance[Adelie]", "beats_chance[Chinstrap]", "beats_chance[Gentoo]"} <= failures
    assert "test_rows" not in failures
