"""Releases in a baked project, for real: `make release` and `make promote` write GTO's git tags.

One story on a copy of the session's reproduced project (conftest.reproduced_project): the gate
passes, so a version is tagged; the same commit again tags nothing; a stage is assigned; the
model of that stage is fetched from the project's real local DVC remote with `dvc artifacts get`;
a failing gate refuses with its message and tags nothing; the next passing commit bumps the version.
"""

import re
from pathlib import Path

import yaml
from conftest import copy_project, run

GIT_IDENTITY = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com", "GIT_COMMITTER_NAME": "Test",
                "GIT_COMMITTER_EMAIL": "test@example.com"}


def commit(project: Path, message: str) -> None:
    run(["git", "add", "--all"], cwd=project, env=GIT_IDENTITY)
    run(["git", "commit", "--quiet", "--message", message], cwd=project, env=GIT_IDENTITY)


def tags(project: Path) -> list[str]:
    return run(["git", "tag", "--list"], cwd=project).stdout.split()


def test_dvc_yaml_declares_the_model_as_an_artifact(reproduced_project):
    project, _ = reproduced_project
    artifacts = yaml.safe_load((project / "dvc.yaml").read_text())["artifacts"]
    assert artifacts["model"]["type"] == "model" and artifacts["model"]["path"] == "models/bundle"
    assert artifacts["model"]["desc"] and artifacts["model"]["labels"]


def test_release_is_gated_idempotent_fetchable_and_promotable(reproduced_project, tmp_path):
    project = copy_project(reproduced_project[0], tmp_path)
    commit(project, "Train the first model")

    # When the gate passes, make release tags a version whose message carries the gate and the data
    released = run(["make", "release"], cwd=project, env=GIT_IDENTITY)
    assert "registered model@v0.1.0" in released.stdout
    assert tags(project) == ["model@v0.1.0"]
    message = run(["git", "tag", "--list", "--format=%(contents)", "model@v0.1.0"], cwd=project).stdout
    assert re.search(r"roc_auc 0\.\d{5} >= baseline 0\.\d{5}; data: \d+ rows \(\d+ train, \d+ test\)", message)

    # A second release of the same commit does nothing, and says so
    again = run(["make", "release"], cwd=project, env=GIT_IDENTITY)
    assert "already model@v0.1.0; nothing to do" in again.stdout
    assert tags(project) == ["model@v0.1.0"]

    # make promote assigns a stage (the latest version by default), which gto show reports
    run(["make", "promote", "STAGE=prod"], cwd=project, env=GIT_IDENTITY)
    assert "model#prod#1" in tags(project)
    shown = run([".venv/bin/gto", "show", "--json"], cwd=project).stdout
    assert '"prod"' in shown and "v0.1.0" in shown

    # A deployment fetches the prod model's serving bundle from the DVC remote: the whole folder, the
    # model in it the one train wrote
    run([".venv/bin/dvc", "push", "--quiet"], cwd=project)
    run([str(project / ".venv/bin/dvc"), "artifacts", "get", str(project), "model", "--stage", "prod", "-o", "prod"],
        cwd=tmp_path)
    fetched = sorted(str(path.relative_to(tmp_path / "prod")) for path in (tmp_path / "prod").rglob("*") if path.is_file())
    built = sorted(str(path.relative_to(project / "models/bundle")) for path in (project / "models/bundle").rglob("*")
                   if path.is_file())
    assert fetched == built and "bundle.json" in fetched and "reference/rows.parquet" in fetched
    assert (tmp_path / "prod/model.joblib").read_bytes() == (project / "models/model.joblib").read_bytes()

    # When the gate fails, make release refuses with the gate's message and tags nothing
    baseline = (project / "baseline.txt").read_text()
    (project / "baseline.txt").write_text(re.sub(r"(?m)^[0-9.]+$", "0.99000", baseline))
    commit(project, "A floor this model cannot reach")
    refused = run(["make", "release"], cwd=project, check=False, env=GIT_IDENTITY)
    assert refused.returncode != 0
    assert "the gate failed, so no version of model is registered" in refused.stderr
    assert "is worse than the baseline 0.99000" in refused.stderr and "Traceback" not in refused.stderr
    assert sorted(tags(project)) == ["model#prod#1", "model@v0.1.0"]

    # A commit that passes again gets the next minor version
    (project / "baseline.txt").write_text(baseline)
    commit(project, "The floor back")
    run(["make", "release"], cwd=project, env=GIT_IDENTITY)
    assert "model@v0.2.0" in tags(project)


def test_release_refuses_uncommitted_changes_and_an_unreproduced_commit(reproduced_project, tmp_path):
    project = copy_project(reproduced_project[0], tmp_path)
    commit(project, "Train the first model")
    (project / "baseline.txt").write_text((project / "baseline.txt").read_text() + "# edited\n")
    refused = run(["make", "release"], cwd=project, check=False, env=GIT_IDENTITY)
    assert refused.returncode != 0 and "uncommitted changes (baseline.txt" in refused.stderr

    # A committed param change that was not reproduced: dvc.lock does not pin a model to fetch
    params = project / "params.yaml"
    params.write_text(params.read_text().replace("    max_depth: 5\n", "    max_depth: 4\n", 1))
    commit(project, "Shallower trees, not reproduced")
    unpinned = run(["make", "release"], cwd=project, check=False, env=GIT_IDENTITY)
    assert unpinned.returncode != 0 and "dvc.lock does not pin the pipeline's outputs" in unpinned.stderr
    # which CI (UNPINNED=skip) reports as a notice instead of a failure
    skipped = run(["make", "release", "UNPINNED=skip"], cwd=project, env=GIT_IDENTITY)
    assert "release: not released" in skipped.stdout
    no_stage = run(["make", "promote"], cwd=project, check=False)
    assert no_stage.returncode != 0 and "STAGE=" in no_stage.stderr
    assert tags(project) == []


def test_an_experiment_in_the_workspace_is_released_once_committed(reproduced_project, tmp_path):
    # given a committed model, and an experiment that `make exp` applied to the workspace
    project = copy_project(reproduced_project[0], tmp_path)
    commit(project, "Train the first model")
    run(["make", "exp", "SET=train.xgboost.max_depth=4", "NAME=shallow"], cwd=project, env=GIT_IDENTITY)
    # when it is released as it stands
    refused = run(["make", "release"], cwd=project, check=False, env=GIT_IDENTITY)
    # then the refusal names the experiment and the two ways to a release, and tags nothing
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert "the workspace holds the experiment 'shallow' (make exp)" in refused.stderr
    assert "git add --all && git commit" in refused.stderr and "dvc exp branch shallow" in refused.stderr
    assert tags(project) == []
    # and once the experiment is committed, it is released
    commit(project, "Experiment shallow")
    run(["make", "release"], cwd=project, env=GIT_IDENTITY)
    assert tags(project) == ["model@v0.1.0"]
