"""GitHub Actions: .github/workflows/cml.yaml, for every option combination and for real.

Fast, on every combination that has the workflow: valid by check-jsonschema's vendored workflow
schema, no actionlint finding, no zizmor finding (offline audits). Slow, on the default project:
the workflow's own `run:` steps, read from the file and run in order in a checkout with GitHub's
variables set, against a DVC remote on the moto S3 server and a `cml` stub that records the
comment (tests/tools/cml).
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import bake, combinations, stages_run
from tools import ci_checks, github_steps
from tools.ci_project import GIT_IDENTITY, SECRETS, TOOLS, edit, published_project

GITHUB = [param for param in combinations() if param.values[0]["ci_provider"] in ("both", "github")]
WORKFLOW = Path(".github/workflows/cml.yaml")
REPOSITORY = "acme/music-recommendation"
GITHUB_TOKEN = "ghs-token-never-printed"


# --- Every combination: schema, actionlint, zizmor -----------------------------------------
@pytest.fixture(scope="module")
def workflows(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("workflows")
    return {param.id: bake(root / param.id, **param.values[0]) / WORKFLOW for param in GITHUB}


@pytest.fixture(scope="module")
def findings(workflows) -> dict[str, dict[Path, list[str]]]:
    """Each checker run once over all the baked workflows."""
    files = list(workflows.values())
    return {
        "schema": ci_checks.check_jsonschema("vendor.github-workflows", files),
        "actionlint": ci_checks.actionlint(files),
        "zizmor": ci_checks.zizmor(files),
    }


@pytest.mark.parametrize("combination", [param.id for param in GITHUB])
@pytest.mark.parametrize("checker", ["schema", "actionlint", "zizmor"])
def test_workflow_passes(checker, combination, workflows, findings):
    assert findings[checker][workflows[combination]] == []


def test_the_checkers_catch_unsafe_and_broken_workflows(tmp_path):
    """The checks above can fail: actionlint and zizmor flag an unsafe workflow, the schema a broken one."""
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    unsafe, broken = workflows / "unsafe.yaml", workflows / "broken.yaml"
    unsafe.write_text(
        "on: pull_request_target\n"
        "jobs:\n"
        "  train:\n"
        "    runs-on: [self-hosted, no-such-label]\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - run: echo \"${{ github.event.pull_request.title }}\"\n"
    )
    broken.write_text("on: push\njobs:\n  train:\n    runs-on: ubuntu-latest\n    timeout-minutes: soon\n")
    assert ci_checks.check_jsonschema("vendor.github-workflows", [broken])[broken]
    assert any("no-such-label" in line for line in ci_checks.actionlint([unsafe])[unsafe])
    reported = " ".join(ci_checks.zizmor([unsafe])[unsafe])
    assert "dangerous-triggers" in reported and "template-injection" in reported


def test_permissions_are_least_privilege_per_job(workflows):
    workflow = github_steps.load(next(iter(workflows.values())))
    assert workflow["permissions"] == {}
    assert workflow["jobs"]["train-and-report"]["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert "pull_request_target" not in workflow["on"]


@pytest.mark.parametrize("gpu", ["no", "yes"])
def test_training_runs_on_gpu_runners_only_when_asked(gpu, tmp_path):
    project = bake(tmp_path, use_gpu=gpu, gpu_runner_tag="a100")
    job = github_steps.load(project / WORKFLOW)["jobs"]["train-and-report"]
    assert job["runs-on"] == (["self-hosted", "a100"] if gpu == "yes" else "ubuntu-latest")


# --- The default project, for real ------------------------------------------------------
@pytest.fixture(scope="module")
def published(tmp_path_factory, s3_server):
    return published_project(tmp_path_factory, s3_server)


def run_workflow(checkout: Path, event: str, head_repository: str, record: Path) -> dict[str, github_steps.JobResult]:
    """Run every job of the checkout's workflow as GitHub would for `event`."""
    branch = run_git(checkout, "rev-parse", "--abbrev-ref", "HEAD")
    pull_request = event == "pull_request"
    context: dict[str, Any] = {
        "github": {
            "event_name": event, "repository": REPOSITORY, "server_url": "https://github.example",
            "run_id": "4242", "token": GITHUB_TOKEN, "base_ref": "main" if pull_request else "",
            "head_ref": branch if pull_request else "",
            "ref": "refs/pull/7/merge" if pull_request else "refs/heads/main",
            "event": {"pull_request": {"head": {"repo": {"full_name": head_repository}}}} if pull_request else {},
        },
        "secrets": SECRETS if head_repository == REPOSITORY else {},
        "runner": {"os": "Linux"},
    }
    variables = {
        "CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": event, "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_SERVER_URL": "https://github.example", "GITHUB_RUN_ID": "4242", "GITHUB_WORKSPACE": str(checkout),
        "GITHUB_SHA": run_git(checkout, "rev-parse", "HEAD"), "GITHUB_REF": context["github"]["ref"],
        "GITHUB_HEAD_REF": context["github"]["head_ref"], "GITHUB_BASE_REF": context["github"]["base_ref"],
        "RUNNER_OS": "Linux", "RUNNER_NAME": "test-runner", "RUNNER_ENVIRONMENT": "github-hosted",
        # What the uses: steps provide: Python (setup-python), Node and cml (here the stub).
        "PATH": f"{TOOLS}:{Path(sys.executable).parent}:{os.environ['PATH']}", "CML_STUB_DIR": str(record),
    }
    for name in SECRETS:  # only what the workflow passes on may reach the steps
        variables[name] = ""
    workflow = github_steps.load(checkout / WORKFLOW)
    return {job: github_steps.run_job(workflow, job, context, checkout, variables) for job in workflow["jobs"]}


def run_git(checkout: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=checkout, capture_output=True, text=True, check=True).stdout.strip()


def step_log(job: github_steps.JobResult) -> str:
    return "\n".join(f"--- {step.name} [{step.status}]\n{step.output}" for step in job.steps)


def comments(record: Path) -> list[dict]:
    """The `cml comment create` calls the stub recorded."""
    log = record / "calls.jsonl"
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return [call for call in calls if call["argv"][:2] == ["comment", "create"]]


def test_pull_request_trains_reports_comments_then_gates(published, tmp_path):
    # Given a pull request that changes a training parameter
    published.branch("gh-fewer-trees", lambda work: edit(
        work / "params.yaml", "    n_estimators: 200\n    max_depth: 6\n", "    n_estimators: 120\n    max_depth: 6\n"),
        "Try 120 trees")
    checkout = published.clone("gh-fewer-trees", tmp_path / "checkout", shallow=False)
    record = tmp_path / "cml"

    # When the workflow runs for it
    jobs = run_workflow(checkout, "pull_request", REPOSITORY, record)

    # Then the steps ran in the workflow's order, each a Makefile target, and all passed
    train = jobs["train-and-report"]
    assert not jobs["fork"].ran
    assert not train.failed, step_log(train)
    assert train.commands() == ["make install-uv", "make setup", "make lint", "make ci-pull", "make pipeline",
                                "make fetch-base", "make report", "make install-cml", "make comment", "make gate"]
    pipeline_output = next(step.output for step in train.steps if step.command == "make pipeline")
    assert "train" in stages_run(pipeline_output)
    # and the report posted holds both revisions' metrics, the params diff, the verdict and a link
    # to the images (kept in the run's artifacts: CML_PUBLISH_IMAGES is "false" by default)
    [comment] = comments(record)
    assert comment["argv"] == ["comment", "create", "--pr", "--no-publish", "cml-report/report.md"]
    report = (record / "1" / "report.md").read_text()
    assert "## Gate: ✅ passed" in report
    assert re.search(r"\| Path +\| Metric +\| origin/main +\| workspace +\| Change", report)
    assert re.search(r"\| metrics\.json +\| roc_auc +\| 0\.\d+ +\| 0\.\d+ ", report)
    assert re.search(r"\| train\.xgboost\.n_estimators +\| 200 +\| 120 ", report)
    assert "https://github.example/acme/music-recommendation/actions/runs/4242" in report
    assert "![" not in report
    assert {"roc.png", "precision_recall.png", "confusion_matrix.png", "feature_importance.png"} <= {
        path.name for path in (record / "1").iterdir()}
    # and no secret reached a log
    assert SECRETS["AWS_SECRET_ACCESS_KEY"] not in step_log(train) and GITHUB_TOKEN not in step_log(train)


def test_push_to_main_reuses_main_outputs_and_pushes(published, tmp_path):
    # Given main, trained and pushed from a laptop
    checkout = published.clone("main", tmp_path / "checkout", shallow=False)

    # When the workflow runs for a push to main
    jobs = run_workflow(checkout, "push", REPOSITORY, tmp_path / "cml")

    # Then it pulls instead of training, pushes, gates, and posts nothing
    train = jobs["train-and-report"]
    assert not train.failed, step_log(train)
    assert train.commands() == ["make install-uv", "make setup", "make ci-pull", "make pipeline", "make push",
                                "make gate"]
    assert stages_run(next(step.output for step in train.steps if step.command == "make pipeline")) == []
    assert comments(tmp_path / "cml") == []


def test_pull_request_from_a_fork_gets_a_clear_message(published, tmp_path):
    # Given a pull request from a fork, which GitHub runs without secrets
    checkout = published.clone("main", tmp_path / "checkout", shallow=False)

    # When the workflow runs for it
    jobs = run_workflow(checkout, "pull_request", "someone/music-recommendation", tmp_path / "cml")

    # Then the training job is skipped and the fork job says why, instead of failing on the remote
    assert not jobs["train-and-report"].ran
    fork = jobs["fork"]
    assert fork.ran and fork.failed
    assert "Pull requests from forks get no access to this repository's secrets" in fork.steps[0].output


def test_report_says_when_the_base_has_no_results_yet(published, tmp_path):
    # Given a base revision from before the first pipeline run: no metrics, params or reports
    empty_tree = run_git(published.work, "hash-object", "-t", "tree", "/dev/null")
    base = subprocess.run(["git", "commit-tree", empty_tree, "-m", "Before the pipeline"], cwd=published.work,
                          capture_output=True, text=True, check=True, env={**os.environ, **GIT_IDENTITY}).stdout.strip()

    # When the report is built against it
    result = subprocess.run(["make", "report", f"BASE_BRANCH={base}", f"REPORT_DIR={tmp_path}"], cwd=published.work,
                            capture_output=True, text=True)

    # Then it is still built, with this branch's results and a plain note for each missing file
    assert result.returncode == 0, result.stdout + result.stderr
    report = (tmp_path / "report.md").read_text()
    assert f"| {base[:7]} | no metrics.json on {base[:7]} yet |" in report
    assert f"{base[:7]} has no params.yaml yet: every parameter is new." in report
    assert f"_{base[:7]} has no reports/data_profile.json yet" in report
    assert "![ROC curve](roc.png)" in report and (tmp_path / "roc.png").exists()
