"""One baked project, for real: make setup, make repro, the no-op rerun, the gate, make test.

The default combination is set up once per session (conftest.ready_project: a real virtual
environment from requirements.lock and real sample data) and reproduced once for this module
(a real `dvc repro`); tests that change files work on a copy so they do not depend on each other.
"""

import importlib.util
import json
import os
import re
from pathlib import Path

import pytest
import yaml
from conftest import TEMPLATE, bake, copy_project, run, stages_run

GIT_IDENTITY = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com", "GIT_COMMITTER_NAME": "Test",
                "GIT_COMMITTER_EMAIL": "test@example.com"}
STAGES = ["preprocess", "train", "evaluate", "sanity-check", "bundle"]


@pytest.fixture(scope="module")
def reproduced(reproduced_project):
    """(project, output of its first `make repro`): the set-up default project, reproduced (conftest)."""
    return reproduced_project


@pytest.fixture
def copy_of(reproduced, tmp_path):
    return copy_project(reproduced[0], tmp_path)


def set_baseline(project: Path, value: float) -> None:
    text = (project / "baseline.txt").read_text()
    (project / "baseline.txt").write_text(re.sub(r"(?m)^[0-9.]+$", f"{value:.5f}", text))


def test_setup_made_tracked_sample_data(reproduced):
    project, _ = reproduced
    raw = yaml.safe_load((project / "data/raw.dvc").read_text())
    assert raw["outs"][0]["path"] == "raw"
    assert sorted(path.name for path in (project / "data/raw").iterdir()) == ["interactions.csv", "members.csv",
                                                                              "songs.csv"]
    assert "/raw" in (project / "data/.gitignore").read_text().split()


def test_first_repro_runs_the_four_stages_and_passes_the_gate(reproduced):
    project, output = reproduced
    assert stages_run(output) == STAGES
    assert "gate passed: roc_auc" in output
    metrics = json.loads((project / "metrics.json").read_text())
    assert set(metrics) >= {"accuracy", "f1", "roc_auc", "log_loss"}
    assert metrics["roc_auc"] > 0.75  # the planted signal is clearly learnable
    for plot in ("roc.csv", "precision_recall.csv", "feature_importance.csv"):
        assert len((project / "reports/plots" / plot).read_text().splitlines()) > 5
    assert (project / "reports/confusion_matrix.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    sanity = json.loads((project / "reports/sanity.json").read_text())
    assert sanity["passed"] and {check["name"] for check in sanity["checks"]} >= {
        "probabilities_in_range", "probabilities_sum_to_one", "class_share[0]", "class_share[1]", "beats_chance[0]",
        "beats_chance[1]", "cv_fold_outlier"}


def test_dvc_knows_every_metric_and_plot(reproduced):
    project, _ = reproduced
    shown = json.loads(run([".venv/bin/dvc", "metrics", "show", "--json"], cwd=project).stdout)
    assert "roc_auc" in json.dumps(shown)
    plots = run([".venv/bin/dvc", "plots", "show", "--json"], cwd=project).stdout
    assert "roc" in plots and "precision_recall" in plots and "confusion_matrix.png" in plots


def test_second_repro_runs_nothing(copy_of):
    result = run(["make", "repro"], cwd=copy_of)
    assert stages_run(result.stdout) == []
    assert "gate passed" in result.stdout


def test_a_train_param_change_reruns_train_and_after_but_not_preprocess(copy_of):
    params = copy_of / "params.yaml"
    params.write_text(params.read_text().replace("n_estimators: 200\n    max_depth: 5", "n_estimators: 150\n    max_depth: 5"))
    result = run(["make", "repro"], cwd=copy_of)
    assert stages_run(result.stdout) == ["train", "evaluate", "sanity-check", "bundle"]


def test_editing_the_section_of_a_model_not_in_use_reruns_nothing(copy_of):
    params = copy_of / "params.yaml"
    text = params.read_text()
    assert "model: xgboost" in text and "n_estimators: 300" in text  # the default; extra_trees' trees
    params.write_text(text.replace("n_estimators: 300", "n_estimators: 30"))
    result = run(["make", "repro"], cwd=copy_of)
    assert stages_run(result.stdout) == []


def test_swapping_the_model_needs_no_code_change(copy_of):
    run(["git", "commit", "--quiet", "-m", "baked and reproduced"], cwd=copy_of, env=GIT_IDENTITY)  # experiments need a commit
    result = run([".venv/bin/dvc", "exp", "run", "-S", "train.model=random_forest"], cwd=copy_of,
                 env={"PATH": f"{copy_of}/.venv/bin:{os.environ['PATH']}"})
    assert stages_run(result.stdout) == ["train", "evaluate", "sanity-check", "bundle"]
    info = json.loads((copy_of / "reports/train_info.json").read_text())
    assert info["model"] == "random_forest"


def test_make_clean_leaves_git_clean_and_make_pull_brings_the_outputs_back(copy_of, tmp_path):
    # given a reproduced project with its own remote, everything committed and pushed
    run(["make", "remote", f"URL={tmp_path / 'storage'}"], cwd=copy_of)
    run(["git", "add", "--all"], cwd=copy_of)
    run(["git", "commit", "--quiet", "-m", "First model"], cwd=copy_of, env=GIT_IDENTITY)
    run(["make", "push"], cwd=copy_of)
    # when make clean removes the pipeline's outputs
    run(["make", "clean"], cwd=copy_of)
    # then they are gone, but no tracked file is (models/.gitignore keeps the model out of git)
    assert not (copy_of / "models/model.joblib").exists() and not (copy_of / "data/processed").exists()
    assert run(["git", "status", "--porcelain"], cwd=copy_of).stdout == ""
    # and make pull brings them back, still ignored by git
    run(["make", "pull"], cwd=copy_of)
    assert (copy_of / "models/model.joblib").exists() and (copy_of / "data/processed/train.parquet").exists()
    assert run(["git", "status", "--porcelain"], cwd=copy_of).stdout == ""


def test_gate_fails_above_the_metric_and_passes_again_when_put_back(copy_of):
    metric = json.loads((copy_of / "metrics.json").read_text())["roc_auc"]
    original = (copy_of / "baseline.txt").read_text()
    # when the baseline is raised above the model's metric
    set_baseline(copy_of, metric + 0.05)
    failed = run(["make", "repro"], cwd=copy_of, check=False)
    # then make repro fails, saying which metric, by how much, and what to do, without retraining
    assert failed.returncode != 0
    assert stages_run(failed.stdout) == []
    assert f"roc_auc {metric:.5f} is worse than the baseline {metric + 0.05:.5f}" in failed.stderr
    assert "by 0.05000" in failed.stderr and "make baseline FORCE=1" in failed.stderr
    # and when it is put back, the run passes again
    (copy_of / "baseline.txt").write_text(original)
    assert run(["make", "repro"], cwd=copy_of).returncode == 0


def test_a_failed_sanity_check_fails_the_run(copy_of):
    params = copy_of / "params.yaml"
    text = params.read_text().replace("class_share_relative_tolerance: 0.3", "class_share_relative_tolerance: 0.0")
    params.write_text(text.replace("class_share_standard_errors: 2", "class_share_standard_errors: 0"))
    failed = run(["make", "repro"], cwd=copy_of, check=False)
    assert stages_run(failed.stdout) == ["sanity-check"]  # only the stage whose params changed
    assert failed.returncode != 0
    assert "sanity check class_share[0] failed" in failed.stderr


def test_make_baseline_raises_the_floor_and_never_lowers_it_silently(copy_of):
    metric = json.loads((copy_of / "metrics.json").read_text())["roc_auc"]
    set_baseline(copy_of, 0.5)
    run(["make", "baseline"], cwd=copy_of)
    assert f"{metric:.5f}" in (copy_of / "baseline.txt").read_text()
    assert (copy_of / "baseline.txt").read_text().startswith("#")  # comments kept

    set_baseline(copy_of, 0.99)
    refused = run(["make", "baseline"], cwd=copy_of, check=False)
    assert refused.returncode != 0 and "only moves up" in refused.stderr
    assert "0.99000" in (copy_of / "baseline.txt").read_text()

    run(["make", "baseline", "FORCE=1"], cwd=copy_of)
    assert f"{metric:.5f}" in (copy_of / "baseline.txt").read_text()


def test_generated_unit_tests_pass(stack_venv, tmp_path):
    # given a freshly baked default project, and the pinned stack that make setup installs, the
    # project's package read from its src/ as make setup's editable install reads it
    project = bake(tmp_path)
    # when its own make test runs
    tests = run(["make", "test", f"VENV={stack_venv}"], cwd=project, env={"PYTHONPATH": str(project / "src")})
    # then every unit test passes (its make lint is test_lint's, on every combination)
    assert re.search(r"\d+ passed", tests.stdout) and "failed" not in tests.stdout


def test_make_help_lists_every_target_with_its_description(copy_of):
    # given every target the Makefile defines (a rule line `name:` at the start of a line)
    defined = set(re.findall(r"^([a-zA-Z0-9_-]+):", (copy_of / "Makefile").read_text(), flags=re.M))
    # when make runs its default target, help
    output = run(["make"], cwd=copy_of).stdout
    # then each is listed with its description, including those whose `##` line is followed by comments
    targets = dict(re.findall(r"^  (\S+)\s+(.+)$", output, flags=re.M))
    assert set(targets) == defined, f"without a help line: {sorted(defined - set(targets))}"
    assert {"release", "remote", "promote", "repro", "gate", "baseline"} <= set(targets)
    assert all(description.strip() for description in targets.values())


def test_setup_works_with_pip_alone(pip_set_up_project):
    # given a machine without uv (UV empty makes the Makefile take its pip branch)
    # when the default project is set up
    project, result = pip_set_up_project
    # then pip installed the pinned stack and the project, and made the sample data
    assert "-m pip install" in result.stdout and "uv pip" not in result.stdout
    versions = run([".venv/bin/python", "-c", "import dvc, xgboost, music_recommendation; print(xgboost.__version__)"],
                   cwd=project)
    assert f"xgboost=={versions.stdout.strip()}" in (project / "requirements.lock").read_text()
    assert (project / "data/raw.dvc").exists()


def errors_of(result) -> list[str]:
    """What a failed make target printed to stderr, less make's own "make: *** ..." line."""
    return [line for line in result.stderr.splitlines() if not line.startswith("make: ")]


@pytest.mark.parametrize("forged", [0.99, float("nan")], ids=["better-score", "nan-score"])
def test_a_hand_edited_metric_fails_make_gate_and_make_baseline_with_one_line(copy_of, forged):
    # given a reproduced project whose metrics.json was edited by hand
    baseline = (copy_of / "baseline.txt").read_text()
    metrics = json.loads((copy_of / "metrics.json").read_text())
    (copy_of / "metrics.json").write_text(json.dumps({**metrics, "roc_auc": forged}, indent=2) + "\n")
    # when the gate runs as CI runs it, and the ratchet as a user would to raise the floor
    for target in ("gate", "baseline"):
        result = run(["make", target], cwd=copy_of, check=False)
        # then each fails with one line naming the file, the stage that writes it and the fix
        assert result.returncode != 0
        assert errors_of(result) == ["error: metrics.json differs from what evaluate wrote (dvc.lock): run make repro"]
    # and the floor did not move
    assert (copy_of / "baseline.txt").read_text() == baseline


def test_a_failed_sanity_check_flipped_to_passed_by_hand_still_fails(copy_of):
    # given a run whose cross-validation check fails (no fold may differ from the median at all)
    params = copy_of / "params.yaml"
    text = params.read_text().replace("cv_max_fold_deviation: 0.05", "cv_max_fold_deviation: 0.0")
    params.write_text(text.replace("cv_noise_standard_errors: 3", "cv_noise_standard_errors: 0"))
    failed = run(["make", "repro"], cwd=copy_of, check=False)
    assert failed.returncode != 0 and "sanity check cv_fold_outlier failed" in failed.stderr
    # and its reports/sanity.json edited by hand to say every check passed
    sanity = json.loads((copy_of / "reports/sanity.json").read_text())
    flipped = {"passed": True, "checks": [{**check, "passed": True} for check in sanity["checks"]]}
    (copy_of / "reports/sanity.json").write_text(json.dumps(flipped, indent=2) + "\n")
    # when the gate and the ratchet run, then both fail with one line naming the file and its stage
    for target in ("gate", "baseline"):
        result = run(["make", target], cwd=copy_of, check=False)
        assert result.returncode != 0
        assert errors_of(result) == [
            "error: reports/sanity.json differs from what sanity-check wrote (dvc.lock): run make repro"
        ]


def test_module_names_the_hook_refuses_cover_every_installed_package(stack_venv):
    # given the real environment that requirements.lock installs (make setup adds only the project)
    site_packages = next((stack_venv / "lib").glob("python3*/site-packages"))
    importable = {
        path.name.removesuffix(".py").lower()
        for path in site_packages.iterdir()
        if (path.is_dir() or path.suffix == ".py") and path.name.removesuffix(".py").isidentifier()
        and not path.name.startswith("_")  # (numpy.libs and the like are no module name)
    }
    # then the hook refuses each as a module name (a package of that name would shadow it)
    spec = importlib.util.spec_from_file_location("pre_gen_project", TEMPLATE / "hooks" / "pre_gen_project.py")
    assert spec and spec.loader
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    missing = importable - hook.TAKEN_MODULE_NAMES
    assert not missing, f"add these to TAKEN_MODULE_NAMES in hooks/pre_gen_project.py: {sorted(missing)}"
