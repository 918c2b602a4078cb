"""GitLab CI: .gitlab-ci.yml, for every option combination and run for real with gitlab-ci-local.

Fast, on every combination that has the file: valid by check-jsonschema's vendored GitLab CI
schema. Slow, on the default project: merge request pipelines run by gitlab-ci-local (shell
executor, each job in a fresh copy of a shallow clone, as a runner would), against a DVC remote
on the moto S3 server, with the real CML 0.20.6 on Node 24 (tests/tools/real_cml.py) posting to a
stand-in of GitLab's API and git server, which records what it got and keeps the merge requests'
notes and uploads (tests/tools/forge.py). The pipelines clone from that forge, so gitlab-ci-local
derives the project's URLs (CI_SERVER_URL, CI_PROJECT_URL) from the clone's origin, and CML
finds the API there, as on a runner. The jobs reuse this machine's uv cache, as a runner's cache
would be, and one mypy cache per test process (tools/ci_project.py).

Wall time of the merge request pipelines (printed with -s; main's sample data has 6,000 rows
here, CI_SAMPLE_ROWS=20000 gives the project's default size):
    CI_SAMPLE_ROWS=20000 pytest -s tests/test_ci_gitlab.py -k "param_change or readme"
"""

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
from tools.act import CONTAINER_TOOLS
from tools.ci_project import SECRETS, PublishedProject, edit, published_project, uv_cache_dir
from tools.forge import Forge, Recorded, write_log

GITLAB = [param for param in combinations() if param.values[0]["ci_provider"] in ("both", "gitlab")]
GITLAB_CI_LOCAL = TEMPLATE / "node_modules" / ".bin" / "gitlab-ci-local"
REPO_TOKEN = "glpat-never-printed"
PROJECT = "ml-team/ci-check"  # its path on the forge stand-in
# A runner clones with its job's token in the URL (gitlab-ci-token:<token>@); so do these pipelines.
JOB_CREDENTIALS = "gitlab-ci-token:glcbt-job-token"
NOTES = "/api/v4/projects/{project}/merge_requests/{iid}/notes"
XGBOOST = "    n_estimators: 200\n    max_depth: 5\n"


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
    forge_requests: list[Recorded]  # what reached the forge while the pipeline ran

    def job_output(self, job: str) -> str:
        """The lines a job printed (gitlab-ci-local prefixes them with the job's name and `>`)."""
        pattern = re.compile(rf"^{re.escape(job)}\s+> ?(.*)$")
        return "\n".join(match.group(1) for line in self.output.splitlines() if (match := pattern.match(line)))

    def api_calls(self) -> list[tuple[str, str]]:
        """(method, path) of each request to the forge's REST API (how CML finds it, GET /version, aside)."""
        return [(request.method, request.route) for request in self.forge_requests
                if request.api and request.route != "/api/v4/version"]

    def sent(self, method: str) -> list[Recorded]:
        """The requests with `method` that CML sent to the merge request's notes."""
        return [request for request in self.forge_requests if request.method == method and "/notes" in request.route]

    def posted_report(self) -> str:
        """The note the pipeline created or updated, checked to come from CML with REPO_TOKEN."""
        [request] = self.sent("POST") + self.sent("PUT")
        assert request.headers["private-token"] == REPO_TOKEN
        return request.form()["body"]


@pytest.fixture(scope="module")
def published(tmp_path_factory, s3_server, forge) -> PublishedProject:
    """The trained project, hosted by the forge stand-in as ml-team/ci-check."""
    project = published_project(tmp_path_factory, s3_server)
    forge.add_project(PROJECT, project.origin)
    project.branch("gl-readme", lambda work: (work / "README.md").write_text(
        (work / "README.md").read_text() + "\nA note for reviewers.\n"), "Explain the project better")
    return project


@pytest.fixture(scope="module")
def runner(published, forge, real_cml):
    """What the tests' runner holds: the forge to clone from and post to, CML, and the caches."""
    return Runner(published, forge, real_cml)


@dataclass
class Runner:
    published: PublishedProject
    forge: Forge
    cml_bin: Path

    def merge_request_pipeline(self, branch: str, iid: int, tmp_path: Path, secrets: dict = SECRETS) -> Pipeline:
        """Clone `branch` as a runner does and run the pipeline of merge request !iid (target: main)."""
        if iid not in self.forge.projects[PROJECT].requests:
            self.forge.open_request(PROJECT, iid, branch)
        variables = {
            "CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": str(iid),
            "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": branch, "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
            "UV_CACHE_DIR": uv_cache_dir(), "MYPY_CACHE_DIR": str(self.published.mypy_cache), "REPO_TOKEN": REPO_TOKEN,
            **secrets,
        }
        return self.run_pipeline(branch, tmp_path, variables, ["CI_PIPELINE_SOURCE"])

    def main_push_pipeline(self, branch: str, tmp_path: Path) -> Pipeline:
        """Clone `branch` and run the pipeline of a push that made it main's head."""
        variables = {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "main", "CI_DEFAULT_BRANCH": "main",
                     "UV_CACHE_DIR": uv_cache_dir(), "MYPY_CACHE_DIR": str(self.published.mypy_cache),
                     "REPO_TOKEN": REPO_TOKEN, **SECRETS}
        return self.run_pipeline(branch, tmp_path, variables, ["CI_PIPELINE_SOURCE", "CI_COMMIT_BRANCH",
                                                                "CI_DEFAULT_BRANCH"])

    def run_pipeline(self, branch: str, tmp_path: Path, variables: dict, overridden: list[str]) -> Pipeline:
        assert GITLAB_CI_LOCAL.exists(), f"{GITLAB_CI_LOCAL} is missing: run `npm ci` in the template"
        checkout = self.forge.clone(PROJECT, branch, tmp_path / "checkout", shallow=True, credentials=JOB_CREDENTIALS)
        command = [str(GITLAB_CI_LOCAL), "--force-shell-executor", "--shell-isolation",
                   "--no-artifacts-to-source", "--ignore-predefined-vars", ",".join(overridden)]
        for name, value in variables.items():
            command += ["--variable", f"{name}={value}"]
        # The runner's machine: CML and Node 24 first on PATH (the report job's image is node:24),
        # buildah (a stand-in that records its calls in image-builder.jsonl), the test Python's tools
        # (uv), trust in the forge's certificate; no telemetry from the tests' CML.
        environment = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "GITHUB_"))}
        environment |= self.forge.environment() | {
            "PATH": f"{self.cml_bin}:{CONTAINER_TOOLS}:{Path(sys.executable).parent}:{os.environ['PATH']}",
            "ITERATIVE_DO_NOT_TRACK": "1", "IMAGE_STUB_LOG": str(tmp_path / "image-builder.jsonl")}
        already = len(self.forge.requests)
        started = time.monotonic()
        result = subprocess.run(command, cwd=checkout, env=environment, capture_output=True, text=True, timeout=900)
        seconds = time.monotonic() - started
        print(f"\ngitlab-ci-local {variables['CI_PIPELINE_SOURCE']} pipeline for {branch}: {seconds:.1f} s")
        received = self.forge.requests_since(already)
        write_log(received, tmp_path / "forge.jsonl")  # for a failing test's reader
        return Pipeline(result.returncode, result.stdout + result.stderr, seconds, received)


def notes(iid: int) -> str:
    """The path of merge request !iid's notes in GitLab's API, as CML asks for them (project id URL-encoded)."""
    return NOTES.format(project=PROJECT, iid=iid)


def image_links(report: str) -> list[tuple[str, str]]:
    """(alt text, URL) of each image in a markdown report, CML's watermark aside."""
    return [(alt, url) for alt, url in re.findall(r"!\[([^\]]*)\]\(([^) ]+)", report) if "watermark" not in url]


@pytest.fixture(scope="module")
def merge_request_11(published, runner, forge, tmp_path_factory) -> dict:
    """Merge request !11, pushed twice: shallower trees, then a tiny model below baseline.txt.

    Before the first pipeline it already holds a reviewer's note, which the report must leave alone.
    """
    root = tmp_path_factory.mktemp("merge-request-11")
    published.branch("gl-deeper-trees", lambda work: edit(work / "params.yaml", XGBOOST,
                                                          "    n_estimators: 200\n    max_depth: 4\n"),
                     "Try shallower trees")
    forge.open_request(PROJECT, 11, "gl-deeper-trees")
    seeded = forge.add_comment(PROJECT, 11, "Shallower trees should train faster.", "reviewer")
    first = runner.merge_request_pipeline("gl-deeper-trees", 11, root / "first")
    published.push_commit("gl-deeper-trees", lambda work: edit(
        work / "params.yaml", "    n_estimators: 200\n    max_depth: 4\n", "    n_estimators: 1\n    max_depth: 1\n"),
        "Try a tiny model")
    second = runner.merge_request_pipeline("gl-deeper-trees", 11, root / "second")
    # gitlab-ci-local keeps each job's artifacts beside the checkout it ran in
    train_artifacts = root / "first" / "checkout" / ".gitlab-ci-local" / "artifacts" / "train" / "cml-report"
    return {"first": first, "second": second, "train_artifacts": train_artifacts, "seeded": seeded}


def test_param_change_is_trained_reported_and_gated(merge_request_11, forge):
    # Given a merge request that changes a training parameter
    # When its pipeline runs
    pipeline = merge_request_11["first"]

    # Then it passes, having retrained from the changed stage on (preprocessing came from the remote)
    assert pipeline.returncode == 0, pipeline.output
    assert stages_run(pipeline.job_output("train")) == ["train", "evaluate", "sanity-check", "bundle"]
    # and CML (0.20.6, on Node 24) uploaded the report's images to the project (--native), read the
    # merge request's notes, found no report of its own among them and created one
    uploads = [request for request in pipeline.forge_requests if request.route.endswith("/uploads")]
    assert pipeline.api_calls() == [("POST", f"/api/v4/projects/{PROJECT}/uploads")] * len(uploads) + [
        ("GET", notes(11)), ("POST", notes(11))]
    report = pipeline.posted_report()
    # holding both revisions' metrics and params, the gate verdict and the plots
    assert "## Gate: ✅ passed" in report
    assert re.search(r"\| Path +\| Metric +\| origin/main +\| workspace +\| Change", report)
    assert re.search(r"\| metrics\.json +\| roc_auc +\| 0\.\d+ +\| 0\.\d+ ", report)
    assert re.search(r"\| train\.xgboost\.max_depth +\| 5 +\| 4 ", report)
    # whose every image links to an upload the forge received: the plot the train job made, byte for byte
    images = image_links(report)
    assert {url.rsplit("/", 1)[1] for _, url in images} >= {
        "confusion_matrix.png", "roc.png", "precision_recall.png", "feature_importance.png"}
    assert len(uploads) == len(images)
    for _, url in images:
        assert url.startswith("/uploads/"), url  # GitLab shows it from the project's uploads
        status, content = forge.get(f"/{PROJECT}{url}")
        made = merge_request_11["train_artifacts"] / url.rsplit("/", 1)[1]
        assert status == 200 and content == made.read_bytes(), url
    # and no secret reached the logs
    assert SECRETS["AWS_SECRET_ACCESS_KEY"] not in pipeline.output and REPO_TOKEN not in pipeline.output
    # and a merge request never releases
    assert pipeline.job_output("release") == "" and not re.search(r"^\S+ +release\b", pipeline.output, re.M)


def test_worse_model_posts_its_report_and_fails(merge_request_11):
    # Given the same merge request, pushed again with a model below baseline.txt
    # When its pipeline runs
    pipeline = merge_request_11["second"]

    # Then the report is still posted, says why, and the pipeline fails at the gate
    assert pipeline.returncode != 0
    assert "GATE FAILED" in pipeline.job_output("train")
    assert re.search(r"FAIL +train", pipeline.output) and re.search(r"PASS +report", pipeline.output)
    report = pipeline.posted_report()
    assert "## Gate: ❌ failed" in report
    assert "is worse than the baseline" in report
    # by updating the first push's note in place (CML found it by its watermark)
    [created] = merge_request_11["first"].sent("POST")
    note_id = created.answer()["id"]
    assert [call for call in pipeline.api_calls() if "/notes" in call[1]] == [
        ("GET", notes(11)), ("PUT", f"{notes(11)}/{note_id}")]


def test_merge_request_has_one_report_note_however_often_pushed(merge_request_11, forge):
    # Given merge request !11, which held a reviewer's note, pushed twice and run twice (above)
    # Then it holds one report note more, created by the first pipeline and replaced by the second
    seeded, report = forge.comments(PROJECT, 11)
    assert report.edits == 1 and report.body == merge_request_11["second"].posted_report()
    head = subprocess.run(["git", "rev-parse", "gl-deeper-trees"], cwd=forge.projects[PROJECT].repository,
                          capture_output=True, text=True, check=True).stdout.strip()
    assert report.body.rstrip().endswith(f'![](https://cml.dev/watermark.png#{head} "CML watermark model report")')
    # and the reviewer's note is as it was
    assert (seeded.body, seeded.edits) == ("Shallower trees should train faster.", 0)
    assert seeded is merge_request_11["seeded"]


def test_readme_change_trains_nothing(runner, tmp_path):
    # Given a merge request that changes only the README
    # When its pipeline runs
    pipeline = runner.merge_request_pipeline("gl-readme", 12, tmp_path)

    # Then every stage comes from main's pushed outputs and run cache: nothing is trained
    assert pipeline.returncode == 0, pipeline.output
    assert stages_run(pipeline.job_output("train")) == []
    assert "Data and pipelines are up to date" in pipeline.job_output("train")
    assert "## Gate: ✅ passed" in pipeline.posted_report()


def test_merge_request_without_secrets_gets_a_clear_message(runner, tmp_path):
    # Given a pipeline without the DVC remote's credentials (a merge request from a fork)
    # When it runs
    pipeline = runner.merge_request_pipeline("gl-readme", 13, tmp_path, secrets={})

    # Then the train job stops at the download, saying what is missing and why
    assert pipeline.returncode != 0
    train = pipeline.job_output("train")
    assert "no AWS credentials found" in train
    assert "forks get no secrets" in train
    # and nothing was posted: the report job found no report, and CML never reached the forge's API
    assert "no cml-report/report.md to post" in pipeline.job_output("report")
    assert [request.path for request in pipeline.forge_requests if request.api] == []


def test_push_to_main_trains_then_releases_and_pushes_the_tag(published, runner, tmp_path):
    # Given a commit on main that changes the evaluation, reproduced by its author (dvc.lock committed)
    def fewer_curve_points_reproduced(work: Path) -> None:
        edit(work / "params.yaml", "  curve_points: 200 ", "  curve_points: 120 ")
        subprocess.run(["make", "pipeline"], cwd=work, check=True, capture_output=True)

    published.branch("gl-main-next", fewer_curve_points_reproduced, "Keep fewer curve points")
    # When the pipeline of the push to main runs
    pipeline = runner.main_push_pipeline("gl-main-next", tmp_path)

    # Then train-main gated it, and the release job registered its model and pushed the tag to origin
    # (the forge's git server, with the job's credentials from the clone URL), posting nothing
    assert pipeline.returncode == 0, pipeline.output
    assert "gate passed" in pipeline.job_output("train-main")
    release = pipeline.job_output("release")
    tag = re.search(r"registered (model@v\d+\.\d+\.\d+)", release)
    assert tag, release
    head = subprocess.run(["git", "rev-parse", "gl-main-next"], cwd=published.origin, capture_output=True, text=True)
    tagged = subprocess.run(["git", "rev-parse", f"{tag.group(1)}^{{commit}}"], cwd=published.origin,
                            capture_output=True, text=True)
    assert tagged.returncode == 0 and tagged.stdout == head.stdout
    pushes = [request for request in pipeline.forge_requests
              if request.git_service == "git-receive-pack" and request.method == "POST"]
    assert [(request.user, request.status) for request in pushes] == [("gitlab-ci-token", 200)]
    assert [request.path for request in pipeline.forge_requests if request.api] == []
    assert SECRETS["AWS_SECRET_ACCESS_KEY"] not in pipeline.output
