"""Every meaningful combination of answers bakes a project with exactly the expected files.

Fast: baking takes well under a second, so all combinations run, each baked once for the
checks below (they only read the project). Installing and running the
pipeline is in test_pipeline.py, on the default combination only.
"""

import ast
import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml
from conftest import bake, combinations, dvc_config, normalised

# The package's rooms (the generated README's map): the user's files in front, then each room.
MODULE_FILES = [
    "__init__.py", "dataset.py", "features.py", "models.py", "sample_data.py",
    *(f"stages/{name}.py" for name in ("__init__", "preprocess", "train", "evaluate", "sanity_check", "bundle")),
    *(f"engine/{name}.py" for name in ("__init__", "base", "local")),
    *(f"engine/dask/{name}.py" for name in ("__init__", "cluster", "preprocess", "splits", "storage", "training")),
    *(f"evaluation/{name}.py" for name in ("__init__", "checks", "figures", "metrics", "training_curves", "verdict")),
    *(f"report/{name}.py" for name in ("__init__", "__main__", "build", "curves", "data", "drift", "environment",
                                        "markdown", "plots", "regression", "results", "revisions")),
    *(f"ops/{name}.py" for name in ("__init__", "gate", "release", "remote", "experiments", "own_data")),
    *(f"scoring/{name}.py" for name in ("__init__", "rows", "bundle", "score")),
    *(f"serving/{name}.py" for name in ("__init__", "__main__", "settings", "bundles", "requests", "app", "log", "batch",
                                         "smoke", "monitor")),
    *(f"core/{name}.py" for name in ("__init__", "columns", "drift", "dvc_remote", "errors", "files", "hardware",
                                      "modeling", "params", "params_schema", "paths", "provenance", "registry", "rows",
                                      "split", "tables", "target")),
]
# The generated tests mirror the rooms.
PROJECT_TESTS = [
    "conftest.py", "test_house.py", "test_dataset.py", "test_features.py", "test_models.py", "test_sample_data.py",
    "stages/test_stages.py",
    "engine/test_engine_choice.py", "engine/test_local_engine.py", "engine/test_dask_training.py",
    "engine/test_storage.py", "engine/test_dask_preprocess.py",
    "evaluation/test_checks.py", "evaluation/test_metrics.py", "evaluation/test_regression.py",
    "evaluation/test_training_curves.py",
    "report/test_report_sections.py",
    "serving/test_serving.py",
    "ops/test_gate.py", "ops/test_experiments.py", "ops/test_own_data.py",
    "core/test_columns.py", "core/test_drift.py", "core/test_hardware.py", "core/test_params.py", "core/test_rows.py",
    "core/test_split.py", "core/test_target.py",
]
LEFTOVER_JINJA = re.compile(r"\{\{-?\s*cookiecutter|\{%-?\s|\s-?%\}|cookiecutter\.")


def expected_files(answers: dict, module: str) -> set[str]:
    """The exact file list a project baked with `answers` must have (outside .git)."""
    files = {
        ".dvc/.gitignore", ".dvc/config", ".dvcignore", ".gitignore", ".pre-commit-config.yaml", "Makefile", "README.md", "baseline.txt",
        "dvc.yaml", "params.yaml", "pyproject.toml", "requirements.lock", "Dockerfile", ".dockerignore",
        *(f"src/{module}/{name}" for name in MODULE_FILES),
        *(f"tests/{name}" for name in PROJECT_TESTS),
    }
    if answers.get("ci_provider", "both") in ("both", "github"):
        files.add(".github/workflows/cml.yaml")
        files.add(".github/dependabot.yml")  # keeps the workflow's action pins current
        if answers.get("use_gpu") == "yes":
            files.add(".github/actionlint.yaml")  # declares the self-hosted GPU runner's label
    if answers.get("ci_provider", "both") in ("both", "gitlab"):
        files.add(".gitlab-ci.yml")
    if answers.get("open_source_license", "MIT") != "none":
        files.add("LICENSE")
    return files


def project_files(project: Path) -> set[str]:
    return {str(path.relative_to(project)) for path in project.rglob("*")
            if path.is_file() and ".git" not in path.relative_to(project).parts[:1]}


@pytest.fixture(scope="module", params=list(combinations()))
def baked(request, tmp_path_factory):
    """(answers, project): each combination baked once for the tests below, which only read it."""
    answers = request.param
    return answers, bake(tmp_path_factory.mktemp("bake"), **answers)


def test_exactly_the_expected_files(baked):
    answers, project = baked
    assert project_files(project) == expected_files(answers, "music_recommendation")


def test_no_unrendered_template_syntax(baked):
    _, project = baked
    leftovers = {
        name: LEFTOVER_JINJA.findall((project / name).read_text())
        for name in project_files(project)
        if LEFTOVER_JINJA.search((project / name).read_text())
    }
    assert leftovers == {}


def test_every_structured_file_parses(baked):
    answers, project = baked
    parsers = {".yaml": yaml.safe_load, ".yml": yaml.safe_load, ".json": json.loads, ".toml": tomllib.loads,
               ".py": ast.parse}
    parsed = 0
    for name in project_files(project):
        parse = parsers.get(Path(name).suffix)
        if parse:
            parse((project / name).read_text())
            parsed += 1
    config = dvc_config(project)
    assert parsed >= 15
    assert config["core"].get("remote") == ("storage" if answers["dvc_remote_url"] else None)


def test_options_reach_the_files(baked):
    answers, project = baked
    params = yaml.safe_load((project / "params.yaml").read_text())
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert params["train"]["model"] == answers["model"]
    assert params["train"]["xgboost"]["device"] == ("cuda" if answers["use_gpu"] == "yes" else "cpu")
    assert pyproject["project"]["requires-python"] == f">={answers['python_version']}"
    assert f'PYTHON_VERSION := {answers["python_version"]}' in (project / "Makefile").read_text()
    if answers["open_source_license"] != "none":
        assert {"MIT": "MIT License", "Apache-2.0": "Apache License", "BSD-3-Clause": "BSD 3-Clause License"}[
            answers["open_source_license"]] in (project / "LICENSE").read_text()


def test_dvc_remote_is_the_answer_and_names_no_path_of_the_bake(baked):
    answers, project = baked
    config = dvc_config(project)
    answer = answers["dvc_remote_url"]
    if not answer:  # make setup adds a directory beside the project (test_pipeline, test_remote)
        assert list(config) == ["core"]
        return
    remote = config['remote "storage"']
    if answer.startswith(("s3://", "/")):
        assert remote["url"] == answer
    else:  # relative to the project: DVC resolves a relative url from .dvc/, hence one more ../
        assert remote["url"] == f"../{answer}"
        assert (project / ".dvc" / remote["url"]).resolve() == (project / answer).resolve()
    assert remote.get("endpointurl") == (answers.get("s3_endpoint_url") or None)
    assert not {"access_key_id", "secret_access_key"} & set(remote)  # credentials never committed


def test_git_starts_on_main_with_everything_in_a_first_commit(baked):
    _, project = baked
    git = lambda *args: subprocess.run(["git", *args], cwd=project, capture_output=True, text=True).stdout  # noqa: E731
    assert git("symbolic-ref", "--short", "HEAD").strip() == "main"
    assert git("log", "--format=%s").splitlines() == ["Start from cookiecutter-cd4ml"]
    assert set(git("ls-files").split()) == project_files(project)
    assert git("status", "--porcelain") == ""


def test_derived_names_follow_the_project_name(tmp_path):
    project = bake(tmp_path, project_name="Churn Model 2")
    assert project.name == "churn-model-2"
    assert (project / "src/churn_model_2/stages/train.py").exists()
    assert "python -m churn_model_2.stages.train" in (project / "dvc.yaml").read_text()


def test_quotes_in_free_text_answers_stay_valid_toml(tmp_path):
    project = bake(tmp_path, description='Predicts "replays" \\ and more', author_name="O'Brien & Co")
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["description"] == 'Predicts "replays" \\ and more'
    assert pyproject["project"]["authors"] == [{"name": "O'Brien & Co"}]


def test_lock_file_pins_every_direct_dependency(tmp_path):
    project = bake(tmp_path)
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    wanted = pyproject["project"]["dependencies"] + pyproject["project"]["optional-dependencies"]["dev"]
    pinned = {normalised(line.split("==")[0]) for line in (project / "requirements.lock").read_text().splitlines()
              if "==" in line and not line.startswith("#")}
    names = {normalised(re.split(r"[\[<>=!~; ]", requirement)[0]) for requirement in wanted}
    assert names <= pinned, f"not pinned in requirements.lock: {names - pinned} (run make lock)"
