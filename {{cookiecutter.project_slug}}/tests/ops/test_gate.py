"""The gate: baseline.txt is a floor that only moves up, failed sanity checks fail the run, and only
results the pipeline wrote (as dvc.lock records them) are judged."""

import hashlib
import json
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.module_name }}.core.errors import PipelineError, run
from {{ cookiecutter.module_name }}.evaluation.verdict import evaluate_gate, read_baseline
from {{ cookiecutter.module_name }}.ops import gate
from {{ cookiecutter.module_name }}.ops.gate import raise_baseline, write_baseline

SANE = {"checks": [{"name": "probabilities_in_range", "value": 0.0, "threshold": 0.0, "passed": True, "detail": ""}]}


def test_baseline_file_keeps_comments_when_rewritten(tmp_path):
    path = tmp_path / "baseline.txt"
    path.write_text("# floor of roc_auc\n0.7\n")
    write_baseline(0.81234, path)
    assert path.read_text() == "# floor of roc_auc\n0.81234\n"
    assert read_baseline(path) == 0.81234


@pytest.mark.parametrize(
    ("content", "message"), [("# only a comment\n", "holds no number"), ("abc\n", "not one number")]
)
def test_unreadable_baseline_is_an_error(tmp_path, content, message):
    path = tmp_path / "baseline.txt"
    path.write_text(content)
    with pytest.raises(PipelineError, match=message):
        read_baseline(path)


def test_metric_at_or_above_the_baseline_passes():
    assert evaluate_gate({"roc_auc": 0.8}, SANE, 0.8, "roc_auc").passed


def test_metric_below_the_baseline_fails_saying_by_how_much():
    verdict = evaluate_gate({"roc_auc": 0.7}, SANE, 0.8, "roc_auc")
    assert not verdict.passed
    assert "roc_auc 0.70000 is worse than the baseline 0.80000" in verdict.failures[0]
    assert "by 0.10000" in verdict.failures[0]


def test_lower_is_better_for_log_loss():
    assert evaluate_gate({"log_loss": 0.4}, SANE, 0.5, "log_loss").passed
    assert not evaluate_gate({"log_loss": 0.6}, SANE, 0.5, "log_loss").passed


def test_failed_sanity_check_fails_the_gate_even_with_a_good_metric():
    failed = {
        "checks": [
            {
                "name": "class_share[1]",
                "value": 0.3,
                "threshold": 0.1,
                "passed": False,
                "detail": "predicted 80.0% of rows as 1, actual share 50.0%",
            }
        ]
    }
    verdict = evaluate_gate({"roc_auc": 0.9}, failed, 0.8, "roc_auc")
    assert verdict.failures == [
        "sanity check class_share[1] failed: value 0.3 vs threshold 0.1 (predicted 80.0% of rows as 1, actual share "
        "50.0%). See reports/sanity.json; thresholds are in params.yaml (sanity)"
    ]


def test_unknown_gate_metric_is_an_error():
    with pytest.raises(PipelineError, match="gate.metric 'auc'"):
        evaluate_gate({"roc_auc": 0.9}, SANE, 0.8, "auc")


PROFILE = {"rows": {"total": 500}, "class_balance": {"0": 0.6, "1": 0.4}}
CHECK_NAMES = [
    "test_rows",
    "classes_in_both_splits",
    "probabilities_in_range",
    "probabilities_sum_to_one",
    "class_share[0]",
    "class_share[1]",
    "beats_chance[0]",
    "beats_chance[1]",
    "cv_fold_outlier",
]


def all_checks(failing: str | None = None) -> dict:
    checks = [
        {"name": name, "value": 0.0, "threshold": 0.05, "passed": name != failing, "detail": ""} for name in CHECK_NAMES
    ]
    return {"passed": failing is None, "checks": checks}


PROJECT = Path(__file__).resolve().parents[2]  # this project: its dvc.yaml names the stage of each result
WRITTEN_BY = {
    "reports/data_profile.json": "preprocess",
    "metrics.json": "evaluate",
    "reports/sanity.json": "sanity-check",
}


def record_in_lock(folder: Path) -> None:
    """Write folder/dvc.lock as `dvc repro` does for the results now in `folder`: each stage's outputs
    with their md5 (DVC's md5 of a file is the md5 of its bytes, computed here independently)."""
    stages: dict = {}
    for name, stage in WRITTEN_BY.items():
        content = (folder / name).read_bytes()
        output = {"path": name, "hash": "md5", "md5": hashlib.md5(content).hexdigest(), "size": len(content)}
        stages.setdefault(stage, {"cmd": f"python -m ... {stage}", "outs": []})["outs"].append(output)
    (folder / "dvc.lock").write_text(yaml.safe_dump({"schema": "2.0", "stages": stages}, sort_keys=False))


@pytest.fixture
def results(tmp_path, monkeypatch):
    """A project folder holding a run's results, recorded in its dvc.lock as the pipeline wrote them:
    roc_auc 0.8, every sanity check as the test sets it."""
    monkeypatch.chdir(tmp_path)
    shutil.copy(PROJECT / "dvc.yaml", tmp_path / "dvc.yaml")
    (tmp_path / "params.yaml").write_text("gate:\n  metric: roc_auc\n")
    (tmp_path / "metrics.json").write_text(json.dumps({"roc_auc": 0.8, "log_loss": 0.5}))
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports/data_profile.json").write_text(json.dumps(PROFILE))

    def write_sanity(passed: bool):
        (tmp_path / "reports/sanity.json").write_text(json.dumps(all_checks(None if passed else "cv_fold_outlier")))
        record_in_lock(tmp_path)

    write_sanity(True)
    return tmp_path, write_sanity


def test_make_baseline_creates_a_missing_baseline_file(results):
    folder, _ = results
    raise_baseline(force=False)
    assert read_baseline(folder / "baseline.txt") == 0.8


def test_make_baseline_refuses_a_model_that_fails_a_sanity_check(results):
    folder, write_sanity = results
    (folder / "baseline.txt").write_text("0.7\n")
    write_sanity(False)
    with pytest.raises(PipelineError, match="fails a sanity check does not set the floor"):
        raise_baseline(force=False)
    assert read_baseline(folder / "baseline.txt") == 0.7
    raise_baseline(force=True)
    assert read_baseline(folder / "baseline.txt") == 0.8


# --- A gate that cannot be fooled: tampered or damaged inputs fail, with one line, never a pass ---
def gate_output(monkeypatch, capsys) -> tuple[int | str | None, str]:
    """Run the gate as `make gate` does; return its exit code and what it printed to stderr."""
    monkeypatch.setattr(sys, "argv", ["gate"])
    with pytest.raises(SystemExit) as exit_info:
        run(gate.main)
        raise SystemExit(0)
    return exit_info.value.code, capsys.readouterr().err


def test_untampered_results_pass(results, monkeypatch, capsys):
    folder, _ = results
    (folder / "baseline.txt").write_text("0.75\n")
    assert gate_output(monkeypatch, capsys)[0] == 0


TAMPERED = {  # id: (file, content, words the one-line error must hold)
    "metric-nan": ("metrics.json", '{"roc_auc": NaN}', "not a finite number"),
    "metric-nan-string": ("metrics.json", '{"roc_auc": "nan"}', "not a finite number"),
    "metric-infinity": ("metrics.json", '{"roc_auc": Infinity}', "not a finite number"),
    "metric-true": ("metrics.json", '{"roc_auc": true}', "not a finite number"),
    "metric-null": ("metrics.json", '{"roc_auc": null}', "not a finite number"),
    "metric-out-of-range": ("metrics.json", '{"roc_auc": 1.5}', "outside its valid range"),
    "metrics-malformed": ("metrics.json", '{"roc_auc": 0.9', "metrics.json is not valid JSON"),
    "metrics-empty": ("metrics.json", "", "metrics.json is not valid JSON"),
    "metrics-list": ("metrics.json", "[0.9]", "not an object of metrics"),
    "metric-missing": ("metrics.json", '{"accuracy": 0.9}', "gate.metric 'roc_auc' is not in metrics.json"),
    "sanity-no-checks": ("reports/sanity.json", '{"passed": true, "checks": []}', "holds no list of checks"),
    "sanity-failed-without-checks": ("reports/sanity.json", '{"passed": false}', "holds no list of checks"),
    "sanity-malformed": ("reports/sanity.json", "{", "sanity.json is not valid JSON"),
    "sanity-not-an-object": ("reports/sanity.json", "[]", "holds no list of checks"),
    "sanity-passed-as-string": (
        "reports/sanity.json",
        json.dumps(
            {
                "checks": [
                    {**check, "passed": "false"} if check["name"] == "cv_fold_outlier" else check
                    for check in all_checks()["checks"]
                ]
            }
        ),
        "true/false `passed`",
    ),
    "sanity-check-missing": (
        "reports/sanity.json",
        json.dumps({"checks": [check for check in all_checks()["checks"] if check["name"] != "class_share[1]"]}),
        "lacks the checks ['class_share[1]']",
    ),
    "sanity-overall-contradicts": (
        "reports/sanity.json",
        json.dumps({**all_checks(), "passed": False}),
        "contradicts its checks",
    ),
    "baseline-negative": ("baseline.txt", "-0.5\n", "outside its valid range"),
    "baseline-minus-infinity": ("baseline.txt", "-1e999\n", "not a finite number"),
    "baseline-above-one": ("baseline.txt", "1.5\n", "outside its valid range"),
    "baseline-text": ("baseline.txt", "high\n", "not one number"),
    "baseline-second-number": ("baseline.txt", "0.10\n0.99\n", "not one number"),
    "baseline-carriage-returns": ("baseline.txt", "0.1\r0.99\n", "not one number"),
    "baseline-in-a-comment": ("baseline.txt", "# floor 0.75\u20280.1\n", "holds no number"),
    "metric-duplicate-key": ("metrics.json", '{"roc_auc": 0.5, "roc_auc": 0.9}', "'roc_auc' appears twice"),
    "metric-huge-integer": ("metrics.json", '{"roc_auc": ' + "9" * 401 + "}", "not a finite number"),
    "metrics-nested-deeply": ("metrics.json", "[" * 100_000, "metrics.json is not valid JSON"),
    "metric-not-a-model-metric": ("params.yaml", "gate:\n  metric: test_rows\n", "not a model metric"),
    "params-gate-as-list": ("params.yaml", "gate: [metric, roc_auc]\n", "params.yaml: gate is ['metric', 'roc_auc']"),
    "params-gate-twice": ("params.yaml", "gate:\n  metric: roc_auc\ngate:\n  metric: accuracy\n", "appears twice"),
    "sanity-duplicate-passed": (
        "reports/sanity.json",
        '{"checks": [{"name": "x", "passed": false, "passed": true}]}',
        "'passed' appears twice",
    ),
    "params-without-gate": ("params.yaml", "evaluate:\n  curve_points: 200\n", "params.yaml has no `gate:` section"),
    "params-gate-metric-empty": ("params.yaml", "gate:\n  metric: ''\n", "params.yaml: gate.metric is text ''"),
    "params-malformed": ("params.yaml", "gate: [\n", "params.yaml is not valid YAML"),
    "profile-missing-classes": ("reports/data_profile.json", "{}", "has no class_balance"),
}


@pytest.mark.parametrize(("name", "content", "message"), TAMPERED.values(), ids=TAMPERED.keys())
def test_tampered_or_damaged_input_fails_the_gate_with_one_line(results, monkeypatch, capsys, name, content, message):
    # given results that passed the gate, then one file tampered with or damaged, and dvc.lock
    # edited to match (what provenance alone cannot catch: the content itself must still be sound)
    folder, _ = results
    (folder / "baseline.txt").write_text("0.75\n")
    (folder / name).write_text(content)
    record_in_lock(folder)
    # when the gate runs
    code, stderr = gate_output(monkeypatch, capsys)
    # then it fails, on one line that names the problem, and no traceback
    assert code == 1
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert stderr.startswith("error: ") and message in stderr


# --- Provenance: only what the pipeline wrote, as dvc.lock records it, is judged ---------------
def all_passed(sanity: dict) -> dict:
    return {**sanity, "checks": [{**check, "passed": True} for check in sanity["checks"]], "passed": True}


HAND_EDITED = {  # id: (file, edit of its JSON)
    "roc-auc-raised": ("metrics.json", lambda content: {**content, "roc_auc": 0.99}),
    "failed-check-flipped": ("reports/sanity.json", all_passed),
    "profile-edited": ("reports/data_profile.json", lambda content: {**content, "rows": {"total": 10**6}}),
}


@pytest.mark.parametrize(("name", "edit"), HAND_EDITED.values(), ids=HAND_EDITED.keys())
def test_a_hand_edited_result_fails_the_gate_and_the_baseline_naming_its_stage(
    results, monkeypatch, capsys, name, edit
):
    # given results the pipeline wrote (one sanity check failed), then one edited by hand to look better
    folder, write_sanity = results
    (folder / "baseline.txt").write_text("0.75\n")
    write_sanity(False)
    path = folder / name
    path.write_text(json.dumps(edit(json.loads(path.read_text()))))
    # when the gate runs, then it fails on one line naming the file, its stage and the fix
    expected = f"error: {name} differs from what {WRITTEN_BY[name]} wrote (dvc.lock): run make repro\n"
    assert gate_output(monkeypatch, capsys) == (1, expected)
    # and make baseline does not take the edited value as the new floor
    with pytest.raises(PipelineError, match=f"{name} differs from what {WRITTEN_BY[name]} wrote"):
        raise_baseline(force=True)
    assert read_baseline(folder / "baseline.txt") == 0.75


def test_results_without_a_dvc_lock_are_not_judged(results, monkeypatch, capsys):
    # given results that no `dvc repro` recorded (a project before its first repro, stages run by hand)
    folder, _ = results
    (folder / "dvc.lock").unlink()
    # when the gate runs, then it says so and what to run
    code, stderr = gate_output(monkeypatch, capsys)
    assert code == 1
    assert stderr == (
        "error: metrics.json is not recorded in dvc.lock, which does not exist yet: the gate trusts only what "
        "the pipeline wrote, so run make repro (evaluate writes it)\n"
    )


def test_a_stage_that_has_not_run_through_dvc_is_named(results, monkeypatch, capsys):
    # given a dvc.lock without the sanity-check stage (added to dvc.yaml, not reproduced since)
    folder, _ = results
    lock = yaml.safe_load((folder / "dvc.lock").read_text())
    del lock["stages"]["sanity-check"]
    (folder / "dvc.lock").write_text(yaml.safe_dump(lock))
    # when the gate runs, then the stage is named
    assert gate_output(monkeypatch, capsys) == (
        1,
        "error: dvc.lock records no reports/sanity.json: sanity-check has not run through DVC: run make repro\n",
    )


@pytest.mark.parametrize("content", ["stages: [\n", "", "- a list\n", "stages: {evaluate: 7}\n"])
def test_a_damaged_dvc_lock_fails_with_one_line(results, monkeypatch, capsys, content):
    folder, _ = results
    (folder / "dvc.lock").write_text(content)
    code, stderr = gate_output(monkeypatch, capsys)
    assert code == 1 and len(stderr.strip().splitlines()) == 1, stderr
    assert stderr.startswith("error: ") and "dvc.lock" in stderr and "make repro" in stderr


def test_log_loss_gate_refuses_a_nan_loss_and_a_negative_floor(results, monkeypatch, capsys):
    folder, _ = results
    (folder / "params.yaml").write_text("gate:\n  metric: log_loss\n")
    (folder / "baseline.txt").write_text("0.6\n")
    assert gate_output(monkeypatch, capsys)[0] == 0
    (folder / "metrics.json").write_text('{"log_loss": NaN}')
    record_in_lock(folder)
    assert gate_output(monkeypatch, capsys) == (
        1,
        "error: metrics.json: log_loss is nan, not a finite number. Rerun the pipeline (make repro), or fix the file\n",
    )
    (folder / "metrics.json").write_text('{"log_loss": 0.5}')
    record_in_lock(folder)
    (folder / "baseline.txt").write_text("-0.1\n")
    code, stderr = gate_output(monkeypatch, capsys)
    assert code == 1 and "baseline.txt: log_loss -0.1 lies outside its valid range" in stderr


# --- A regression target: rmse and mae are lower-is-better, r2 higher-is-better ---------------
REGRESSION_CHECKS = [
    "test_rows",
    "predictions_finite",
    "predictions_in_range",
    "residual_bias",
    "beats_mean_baseline",
    "prediction_spread",
    "cv_fold_outlier",
]


@pytest.fixture
def regression_results(tmp_path, monkeypatch):
    """A regression run's results: rmse 230, r2 0.95, every regression sanity check passed."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text("gate:\n  metric: rmse\n")
    (tmp_path / "metrics.json").write_text(json.dumps({"rmse": 230.0, "mae": 180.0, "r2": 0.95, "test_rows": 68}))
    (tmp_path / "reports").mkdir()
    profile = {"task": "regression", "rows": {"total": 340}, "target_summary": {"min": 2600, "max": 6500}}
    (tmp_path / "reports/data_profile.json").write_text(json.dumps(profile))
    checks = [
        {"name": name, "value": 0.0, "threshold": 0.1, "passed": True, "detail": ""} for name in REGRESSION_CHECKS
    ]
    (tmp_path / "reports/sanity.json").write_text(json.dumps({"passed": True, "checks": checks}))
    record_in_lock(tmp_path)
    return tmp_path


@pytest.mark.parametrize(("metric", "better", "worse"), [("rmse", 200, 250), ("mae", 1.0, 1.5), ("r2", 0.9, 0.8)])
def test_regression_metrics_are_gated_in_their_own_direction(metric, better, worse):
    floor = (better + worse) / 2
    assert evaluate_gate({metric: better}, SANE, floor, metric).passed
    assert "is worse than the baseline" in evaluate_gate({metric: worse}, SANE, floor, metric).failures[0]


def test_r2_may_be_negative_but_not_above_one():
    assert not evaluate_gate({"r2": -0.5}, SANE, 0.0, "r2").passed
    with pytest.raises(PipelineError, match=r"r2 1.2 lies outside its valid range"):
        evaluate_gate({"r2": 1.2}, SANE, 0.0, "r2")


def test_the_ratchet_moves_an_rmse_floor_down_only(regression_results):
    (regression_results / "baseline.txt").write_text("250.0\n")
    raise_baseline(force=False)
    assert read_baseline(regression_results / "baseline.txt") == 230.0
    (regression_results / "baseline.txt").write_text("200.0\n")
    with pytest.raises(PipelineError, match="rmse 230.00000 is worse than the baseline 200.00000"):
        raise_baseline(force=False)


def test_a_regression_run_passes_the_gate_with_every_regression_check(regression_results, monkeypatch, capsys):
    (regression_results / "baseline.txt").write_text("240\n")
    assert gate_output(monkeypatch, capsys) == (0, "")


def test_a_classification_metric_on_a_regression_target_names_the_regression_metrics(
    regression_results, monkeypatch, capsys
):
    (regression_results / "params.yaml").write_text("gate:\n  metric: roc_auc\n")
    (regression_results / "baseline.txt").write_text("0.75\n")
    code, error = gate_output(monkeypatch, capsys)
    assert code == 1
    assert error == (
        "error: params.yaml: gate.metric 'roc_auc' is not a regression metric; the target is regression "
        "(reports/data_profile.json: task), so choose one of rmse, mae, r2\n"
    )
