"""The gate: baseline.txt is a floor that only moves up, and failed sanity checks fail the run."""

import json

import pytest

from {{ cookiecutter.module_name }}.common import PipelineError
from {{ cookiecutter.module_name }}.gate import evaluate_gate, raise_baseline, read_baseline, write_baseline

SANE = {"checks": [{"name": "probabilities_in_range", "value": 0.0, "threshold": 0.0, "passed": True, "detail": ""}]}


def test_baseline_file_keeps_comments_when_rewritten(tmp_path):
    path = tmp_path / "baseline.txt"
    path.write_text("# floor of roc_auc\n0.7\n")
    write_baseline(0.81234, path)
    assert path.read_text() == "# floor of roc_auc\n0.81234\n"
    assert read_baseline(path) == 0.81234


@pytest.mark.parametrize(("content", "message"), [("# only a comment\n", "holds no number"), ("abc\n", "not a number")])
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


@pytest.fixture
def results(tmp_path, monkeypatch):
    """A project folder holding a run's results: roc_auc 0.8, sanity checks as the test sets them."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text("gate:\n  metric: roc_auc\n")
    (tmp_path / "metrics.json").write_text(json.dumps({"roc_auc": 0.8}))
    (tmp_path / "reports").mkdir()

    def write_sanity(passed: bool):
        check = {"name": "cv_fold_outlier", "value": 0.2, "threshold": 0.05, "passed": passed, "detail": "fold 2"}
        (tmp_path / "reports/sanity.json").write_text(json.dumps({"passed": passed, "checks": [check]}))

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
