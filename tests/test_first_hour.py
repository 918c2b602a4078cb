"""A newcomer's first hour: from the bake to a first experiment without a stumble.

The bake makes the first commit (DVC experiments need one): as the user where git knows who
they are, otherwise as the template's neutral identity for that one commit, written into no
config; without git the bake still succeeds. Right after `make setup`, `make exp` runs an
experiment with the project's .venv (whatever else is on PATH), puts params.yaml back when a run
fails, and `make exp-show` lists the model's metrics first, without the data profile.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import TEMPLATE, run, stages_run

FIRST_COMMIT = "Start from cookiecutter-cd4ml"
IDENTITY_VARIABLES = ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL")


def bake_with_env(output_dir: Path, **env: str) -> subprocess.CompletedProcess:
    """cookiecutter's command line with the default answers, in an environment without git identity
    variables except those given."""
    clean = {key: value for key, value in os.environ.items() if key not in IDENTITY_VARIABLES}
    return subprocess.run([sys.executable, "-m", "cookiecutter", "--no-input", "--output-dir", str(output_dir),
                           str(TEMPLATE)], env={**clean, **env}, capture_output=True, text=True)


def git(project: Path, *args: str) -> str:
    return run(["git", *args], cwd=project).stdout


def test_the_bake_commits_everything_as_the_user(tmp_path):
    # given a user whom git knows
    user = {"GIT_AUTHOR_NAME": "Ada Lovelace", "GIT_AUTHOR_EMAIL": "ada@example.com",
            "GIT_COMMITTER_NAME": "Ada Lovelace", "GIT_COMMITTER_EMAIL": "ada@example.com"}
    # when they bake a project
    result = bake_with_env(tmp_path, **user)
    # then it holds one commit on main, theirs, with every file, and says who made it
    assert result.returncode == 0, result.stderr
    project = tmp_path / "music-recommendation"
    assert git(project, "log", "--format=%an <%ae> | %cn <%ce> | %s").splitlines() == [
        f"Ada Lovelace <ada@example.com> | Ada Lovelace <ada@example.com> | {FIRST_COMMIT}"]
    assert git(project, "symbolic-ref", "--short", "HEAD").strip() == "main"
    assert git(project, "status", "--porcelain") == ""
    assert f'First commit "{FIRST_COMMIT}" made as Ada Lovelace <ada@example.com>.' in result.stderr


def test_without_a_git_identity_the_first_commit_is_the_templates_and_no_config_changes(tmp_path):
    # given a machine where git has no identity (no config, no variables)
    home = tmp_path / "home"
    home.mkdir()
    # when a project is baked
    result = bake_with_env(tmp_path / "out", HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
                           GIT_CONFIG_NOSYSTEM="1")
    # then the first commit is made with the neutral identity, and the bake says so and how to take it over
    assert result.returncode == 0, result.stderr
    project = tmp_path / "out" / "music-recommendation"
    neutral = "cookiecutter-cd4ml <cookiecutter-cd4ml@example.invalid>"
    assert git(project, "log", "--format=%an <%ae> | %cn <%ce>").splitlines() == [f"{neutral} | {neutral}"]
    assert f"made as {neutral} (git has no identity here" in result.stderr
    assert "git commit --amend --reset-author" in result.stderr
    # and that identity was written into no config: neither the project's nor the user's
    local = run(["git", "config", "--local", "--get-regexp", r"^user\."], cwd=project, check=False)
    assert local.returncode == 1 and local.stdout == ""
    assert not (home / ".gitconfig").exists() and not (home / ".config" / "git").exists()


def test_without_git_the_bake_succeeds_with_a_one_line_note(tmp_path):
    # given a machine without git on PATH (cookiecutter and its hooks run from this Python)
    empty = tmp_path / "bin"
    empty.mkdir()
    # when a project is baked
    result = bake_with_env(tmp_path / "out", PATH=str(empty))
    # then it is made, without a repository, and one line says what to do
    assert result.returncode == 0, result.stderr
    project = tmp_path / "out" / "music-recommendation"
    assert (project / "dvc.yaml").exists() and not (project / ".git").exists()
    notes = [line for line in result.stderr.splitlines() if "git" in line]
    assert notes == ["git is not installed: run `git init -b main` and a first commit in the project before using DVC."]


def test_an_experiment_runs_right_after_setup_with_the_models_metrics_first(project_copy):
    project = project_copy
    params = project / "params.yaml"
    # given a project just baked and set up, with only setup's own files to commit
    changed = {line[3:] for line in git(project, "status", "--porcelain").splitlines()}
    assert changed == {".dvc/config", "data/.gitignore", "data/raw.dvc"}

    # when an experiment names a model that does not exist
    before = params.read_bytes()
    failed = run(["make", "exp", "SET=train.model=no_such_model"], cwd=project, check=False)
    # then it fails, and params.yaml is as it was (dvc exp run alone would leave the -S value in it)
    assert failed.returncode != 0
    assert "params.yaml is as it was before it" in failed.stderr
    assert params.read_bytes() == before

    # when an experiment swaps the model and its seed; the python first on PATH is not .venv's
    result = run(["make", "exp", "SET=train.model=random_forest train.seed=7", "NAME=forest"], cwd=project)
    # then it trains, evaluates and checks with them (preprocess may come from the failed run's cache)
    assert stages_run(result.stdout)[-4:] == ["train", "evaluate", "sanity-check", "bundle"]
    assert json.loads((project / "reports/train_info.json").read_text())["model"] == "random_forest"

    # and exp-show lists it, the model's metrics as the first columns, the data profile left out
    shown = run([".venv/bin/python", "-m", "music_recommendation.ops.experiments", "--csv"], cwd=project).stdout
    header, *rows = [line.split(",") for line in shown.splitlines()]
    metrics = list(json.loads((project / "metrics.json").read_text()))
    first = header.index("Created") + 1
    assert header[first:first + len(metrics)] == metrics
    profile = json.loads((project / "reports/data_profile.json").read_text())
    assert not [column for column in header if column.split(".")[0] in profile]
    experiment = next(dict(zip(header, row)) for row in rows if row[0] == "forest")
    assert experiment["train.model"] == "random_forest" and experiment["train.seed"] == "7"
    assert abs(float(experiment["roc_auc"]) - json.loads((project / "metrics.json").read_text())["roc_auc"]) < 1e-5
