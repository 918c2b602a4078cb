"""GitLab CI: .gitlab-ci.yml, for every option combination and run for real with gitlab-ci-local.

Fast, on every combination that has the file: valid by check-jsonschema's vendored GitLab CI
schema. Slow, on the default project: merge request pipelines run by gitlab-ci-local (shell
executor, each job in a fresh copy of a shallow clone, as a runner would), against a DVC remote
on the moto S3 server, with a `cml` stub on PATH that records the comment (tests/tools/cml).
The jobs reuse this machine's uv cache, as a runner's cache would be, and one mypy cache per test
process (tools/ci_project.py).

Wall time of the merge request pipelines (printed with -s; main's sample data has 6,000 rows
here, CI_SAMPLE_ROWS=20000 gives the project's default size):
    CI_SAMPLE_ROWS=20000 pytest -s tests/test_ci_gitlab.py -k "param_change or readme"
"""

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from conftest import TEMPLATE, bake, combinations, stages_run
from tools import ci_checks
from tools.ci_project import SECRETS, TOOLS, edit, published_project, uv_cache_dir

GITLAB = [param for param in combinations() if param.values[0]["ci_provider"] in ("both", "gitlab")]
GITLAB_CI_LOCAL = TEMPLATE / "node_modules" / ".bin" / "gitlab-ci-local"
REPO_TOKEN = "glpat-never-printed"


# --- Every combination: the schema --------------------------------------------------------
@pytest.fixture(scope="module")
def pipelines(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("pipelines")
    return {param.id: bake(root / param.id, **param.values[0]) / ".gitlab-ci.yml" for param in GITLAB}


@pytest.fixture(scope="module")
def schema_findings(pipelines) -> dict[Path, list[str]]:
    return ci_checks.check_jsonschema("vendor.gitlab-ci", list(pipelines.values()))


@pytest.mark.parametrize("combination", [param.id for param in GITLAB])
def test_pipeline_matches_gitlab_schema(combination, pipelines, schema_findings):
    assert schema_findings[pipelines[combination]] == []


def test_the_schema_check_catches_a_broken_pipeline(tmp_path):
    broken = tmp_path / ".gitlab-ci.yml"
    broken.write_text("train:\n  script: make pipeline\n  when: sometimes\n  artifacts: {paths: cml-report}\n")
    assert ci_checks.check_jsonschema("vendor.gitlab-ci", [broken])[broken]


@pytest.mark.parametrize("gpu", ["no", "yes"])
def test_training_runs_on_gpu_runners_only_when_asked(gpu, tmp_path):
    pipeline = yaml.safe_load((bake(tmp_path, use_gpu=gpu, gpu_runner_tag="a100") / ".gitlab-ci.yml").read_text())
    assert pipeline[".python"].get("tags") == (["a100"] if gpu == "yes" else None)
    assert pipeline["report"].get("tags") is None  # posting a comment needs no GPU
    assert ("launch-gpu-runner" in pipeline) == (gpu == "yes")


# --- Merge request pipelines, for real ------------------------------------------------------
@dataclass
class Pipeline:
    returncode: int
    output: str
    seconds: float
    record: Path  # what the cml stub recorded

    def job_output(self, job: str) -> str:
        """The lines a job printed (gitlab-ci-local prefixes them with the job's name and `>`)."""
        pattern = re.compile(rf"^{re.escape(job)}\s+> ?(.*)$")
        return "\n".join(match.group(1) for line in self.output.splitlines() if (match := pattern.match(line)))

    def comments(self) -> list[dict]:
        log = self.record / "calls.jsonl"
        calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
        return [call for call in calls if call["argv"][:1] == ["comment"]]

    def posted_report(self) -> str:
        [_] = self.comments()
        return (self.record / "1" / "report.md").read_text()


@pytest.fixture(scope="module")
def published(tmp_path_factory, s3_server):
    project = published_project(tmp_path_factory, s3_server)
    xgboost = "    n_estimators: 200\n    max_depth: 5\n"
    project.branch("gl-deeper-trees", lambda work: edit(work / "params.yaml", xgboost,
                                                        "    n_estimators: 200\n    max_depth: 4\n"),
                   "Try shallower trees")
    project.branch("gl-readme", lambda work: (work / "README.md").write_text(
        (work / "README.md").read_text() + "\nA note for reviewers.\n"), "Explain the project better")
    project.branch("gl-worse-model", lambda work: edit(work / "params.yaml", xgboost,
                                                       "    n_estimators: 1\n    max_depth: 1\n"),
                   "Try a tiny model")
    return project


def merge_request_pipeline(published, branch: str, tmp_path: Path, secrets: dict = SECRETS) -> Pipeline:
    """Clone `branch` as a runner does and run its merge request pipeline (target: main)."""
    variables = {
        "CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": "7",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": branch, "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
        "UV_CACHE_DIR": uv_cache_dir(), "MYPY_CACHE_DIR": str(published.mypy_cache), "REPO_TOKEN": REPO_TOKEN,
        **secrets,
    }
    return run_pipeline(published, branch, tmp_path, variables, ["CI_PIPELINE_SOURCE"])


def main_push_pipeline(published, branch: str, tmp_path: Path) -> Pipeline:
    """Clone `branch` and run the pipeline of a push that made it main's head."""
    variables = {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "main", "CI_DEFAULT_BRANCH": "main",
                 "UV_CACHE_DIR": uv_cache_dir(), "MYPY_CACHE_DIR": str(published.mypy_cache),
                 "REPO_TOKEN": REPO_TOKEN, **SECRETS}
    return run_pipeline(published, branch, tmp_path, variables, ["CI_PIPELINE_SOURCE", "CI_COMMIT_BRANCH",
                                                                  "CI_DEFAULT_BRANCH"])


def run_pipeline(published, branch: str, tmp_path: Path, variables: dict, overridden: list[str]) -> Pipeline:
    assert GITLAB_CI_LOCAL.exists(), f"{GITLAB_CI_LOCAL} is missing: run `npm ci` in the template"
    checkout = published.clone(branch, tmp_path / "checkout", shallow=True)
    record = tmp_path / "cml"
    command = [str(GITLAB_CI_LOCAL), "--force-shell-executor", "--shell-isolation",
               "--no-artifacts-to-source", "--ignore-predefined-vars", ",".join(overridden)]
    for name, value in variables.items():
        command += ["--variable", f"{name}={value}"]
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    environment |= {"PATH": f"{TOOLS}:{Path(sys.executable).parent}:{os.environ['PATH']}", "CML_STUB_DIR": str(record)}
    started = time.monotonic()
    result = subprocess.run(command, cwd=checkout, env=environment, capture_output=True, text=True, timeout=900)
    seconds = time.monotonic() - started
    print(f"\ngitlab-ci-local {variables['CI_PIPELINE_SOURCE']} pipeline for {branch}: {seconds:.1f} s")
    return Pipeline(result.returncode, result.stdout + result.stderr, seconds, record)


def test_param_change_is_trained_reported_and_gated(published, tmp_path):
    # Given a merge request that changes a training parameter
    # When its pipeline runs
    pipeline = merge_request_pipeline(published, "gl-deeper-trees", tmp_path)

    # Then it passes, having retrained from the changed stage on (preprocessing came from the remote)
    assert pipeline.returncode == 0, pipeline.output
    assert stages_run(pipeline.job_output("train")) == ["train", "evaluate", "sanity-check", "bundle"]
    # and the report job posted, with GitLab's own uploads, a report holding both revisions'
    # metrics and params, the plots and the gate verdict
    [comment] = pipeline.comments()
    assert comment["argv"] == ["comment", "update", "--target=pr", "--watermark-title=model report", "--native",
                               "cml-report/report.md"]
    report = pipeline.posted_report()
    assert "## Gate: ✅ passed" in report
    assert re.search(r"\| Path +\| Metric +\| origin/main +\| workspace +\| Change", report)
    assert re.search(r"\| metrics\.json +\| roc_auc +\| 0\.\d+ +\| 0\.\d+ ", report)
    assert re.search(r"\| train\.xgboost\.max_depth +\| 5 +\| 4 ", report)
    for image in ("confusion_matrix.png", "roc.png", "precision_recall.png", "feature_importance.png"):
        assert f"]({image})" in report and (pipeline.record / "1" / image).stat().st_size > 0
    # and no secret reached the logs
    assert SECRETS["AWS_SECRET_ACCESS_KEY"] not in pipeline.output and REPO_TOKEN not in pipeline.output
    # and a merge request never releases
    assert pipeline.job_output("release") == "" and not re.search(r"^\S+ +release\b", pipeline.output, re.M)


def test_readme_change_trains_nothing(published, tmp_path):
    # Given a merge request that changes only the README
    # When its pipeline runs
    pipeline = merge_request_pipeline(published, "gl-readme", tmp_path)

    # Then every stage comes from main's pushed outputs and run cache: nothing is trained
    assert pipeline.returncode == 0, pipeline.output
    assert stages_run(pipeline.job_output("train")) == []
    assert "Data and pipelines are up to date" in pipeline.job_output("train")
    assert "## Gate: ✅ passed" in pipeline.posted_report()


def test_worse_model_posts_its_report_and_fails(published, tmp_path):
    # Given a merge request whose model falls below baseline.txt
    # When its pipeline runs
    pipeline = merge_request_pipeline(published, "gl-worse-model", tmp_path)

    # Then the report is still posted, says why, and the pipeline fails at the gate
    assert pipeline.returncode != 0
    assert "GATE FAILED" in pipeline.job_output("train")
    assert re.search(r"FAIL +train", pipeline.output) and re.search(r"PASS +report", pipeline.output)
    report = pipeline.posted_report()
    assert "## Gate: ❌ failed" in report
    assert "is worse than the baseline" in report


def test_merge_request_without_secrets_gets_a_clear_message(published, tmp_path):
    # Given a pipeline without the DVC remote's credentials (a merge request from a fork)
    # When it runs
    pipeline = merge_request_pipeline(published, "gl-readme", tmp_path, secrets={})

    # Then the train job stops at the download, saying what is missing and why
    assert pipeline.returncode != 0
    train = pipeline.job_output("train")
    assert "no AWS credentials found" in train
    assert "forks get no secrets" in train
    assert pipeline.comments() == []


def test_push_to_main_trains_then_releases_and_pushes_the_tag(published, tmp_path):
    # Given a commit on main that changes the evaluation, reproduced by its author (dvc.lock committed)
    def fewer_curve_points_reproduced(work: Path) -> None:
        edit(work / "params.yaml", "  curve_points: 200 ", "  curve_points: 120 ")
        subprocess.run(["make", "pipeline"], cwd=work, check=True, capture_output=True)

    published.branch("gl-main-next", fewer_curve_points_reproduced, "Keep fewer curve points")
    # When the pipeline of the push to main runs
    pipeline = main_push_pipeline(published, "gl-main-next", tmp_path)

    # Then train-main gated it, and the release job registered its model and pushed the tag to origin
    assert pipeline.returncode == 0, pipeline.output
    assert "gate passed" in pipeline.job_output("train-main")
    release = pipeline.job_output("release")
    tag = re.search(r"registered (model@v\d+\.\d+\.\d+)", release)
    assert tag, release
    head = subprocess.run(["git", "rev-parse", "gl-main-next"], cwd=published.origin, capture_output=True, text=True)
    tagged = subprocess.run(["git", "rev-parse", f"{tag.group(1)}^{{commit}}"], cwd=published.origin,
                            capture_output=True, text=True)
    assert tagged.returncode == 0 and tagged.stdout == head.stdout
    assert SECRETS["AWS_SECRET_ACCESS_KEY"] not in pipeline.output
