"""GitHub Actions: .github/workflows/cml.yaml, for every option combination and for real.

Fast, on every combination that has the workflow: valid by check-jsonschema's vendored workflow
schema, no actionlint finding, no zizmor finding (offline audits), least privilege, secrets only
in the steps that use them. Slow, on the default project: the workflow run by a real Actions
runner, nektos/act (tests/tools/act.py: host mode, the `uses:` actions served by local stand-ins),
against a DVC remote on the moto S3 server, with the real CML 0.20.6 on Node 24
(tests/tools/real_cml.py) posting to a stand-in of GitHub's API and git server, which records
what it got and keeps the pull request's comments (tests/tools/forge.py). The jobs share this
machine's uv cache and one mypy cache per test process (tests/tools/ci_project.py), as a runner's
jobs share its caches.

Wall time of the pull request runs (printed with -s; main's sample data has 6,000 rows here,
CI_SAMPLE_ROWS=20000 gives the project's default size):
    CI_SAMPLE_ROWS=20000 pytest -s tests/test_ci_github.py -k pull_request_changing
"""

import base64
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from conftest import TEMPLATE, bake, combinations, copy_project, stages_run
from conftest import run as run_command
from tools import ci_checks
from tools.act import WORKFLOW, ActRun, load_workflow, run_workflow
from tools.ci_project import GIT_IDENTITY, SECRETS, PublishedProject, edit, published_project, uv_cache_dir
from tools.forge import Recorded

GITHUB = [param for param in combinations() if param.values[0]["ci_provider"] in ("both", "github")]
REPOSITORY = "acme/ci-check"
GITHUB_TOKEN = "ghs-token-never-printed"
COMMENTS = f"/api/v3/repos/{REPOSITORY}/issues/7/comments"  # pull request #7's, in GitHub's REST API
WATERMARK = '![](https://cml.dev/watermark.png#{sha} "CML watermark model report")'  # as CML 0.20.6 writes it
XGBOOST = "    n_estimators: 200\n    max_depth: 5\n"


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
    dependabot = tmp_path / ".github" / "dependabot.yml"
    dependabot.write_text("version: 2\nupdates:\n  - package-ecosystem: github-actions\n    directory: /\n"
                          "    schedule: {interval: weekly}\n")
    assert "dependabot-cooldown" in " ".join(ci_checks.zizmor([dependabot])[dependabot])
    dependabot.write_text(dependabot.read_text().replace("weekly", "sometimes"))
    assert ci_checks.check_jsonschema("vendor.dependabot", [dependabot])[dependabot]


def test_permissions_are_least_privilege_per_job(workflows):
    workflow = load_workflow(next(iter(workflows.values())))
    assert workflow["permissions"] == {}
    assert workflow["jobs"]["train-and-report"]["permissions"] == {"contents": "read", "pull-requests": "write"}
    # the release may push a tag, and runs only for pushes to main
    assert workflow["jobs"]["release"]["permissions"] == {"contents": "write"}
    assert "github.event_name == 'push' && github.ref == 'refs/heads/main'" in workflow["jobs"]["release"]["if"]
    assert "pull_request_target" not in workflow["on"]


def test_remote_keys_reach_only_the_steps_that_use_the_remote(workflows):
    for path in workflows.values():
        job = load_workflow(path)["jobs"]["train-and-report"]
        assert "secrets." not in json.dumps(job.get("env", {})), path
        with_keys = [step.get("run") for step in job["steps"] if "secrets.AWS_" in json.dumps(step.get("env", {}))]
        # make pipeline: with compute.storage: s3://..., the stages upload the splits the Dask workers read
        assert with_keys == ["make ci-pull", "make pipeline", "make push"], path
        release = load_workflow(path)["jobs"]["release"]["steps"]
        assert [step.get("run") for step in release if "secrets.AWS_" in json.dumps(step.get("env", {}))] == [
            "make ci-pull"], path
        assert [step["name"] for step in release if "github.token" in json.dumps(step.get("env", {}))] == [
            "Register the version and push its tag"], path


def test_actions_are_pinned_as_the_readme_pin_table_says(workflows):
    """Every `uses:` is a full commit SHA with its version beside it, and the template README's
    table (how each pin was verified) lists exactly those pins."""
    pins = set()
    for path in workflows.values():
        text = path.read_text()
        pinned = re.findall(r"uses: ([\w.-]+/[\w.-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$", text, re.MULTILINE)
        assert len(pinned) == text.count("uses:"), path
        pins |= set(pinned)
    table = re.findall(r"^\| `([\w.-]+/[\w.-]+)` \| (v[\d.]+) \| `([0-9a-f]{40})` \|",
                       (TEMPLATE / "README.md").read_text(), re.MULTILINE)
    assert {(action, sha, version) for action, version, sha in table} == pins


@pytest.fixture(scope="module")
def dependabot_findings(workflows) -> dict[str, dict[Path, list[str]]]:
    files = [path.parents[1] / "dependabot.yml" for path in workflows.values()]
    return {"schema": ci_checks.check_jsonschema("vendor.dependabot", files), "zizmor": ci_checks.zizmor(files)}


@pytest.mark.parametrize("combination", [param.id for param in GITHUB])
@pytest.mark.parametrize("checker", ["schema", "zizmor"])
def test_dependabot_config_passes(checker, combination, workflows, dependabot_findings):
    assert dependabot_findings[checker][workflows[combination].parents[1] / "dependabot.yml"] == []


@pytest.mark.parametrize("gpu", ["no", "yes"])
def test_training_runs_on_gpu_runners_only_when_asked(gpu, tmp_path):
    project = bake(tmp_path, use_gpu=gpu, gpu_runner_tag="a100")
    job = load_workflow(project / WORKFLOW)["jobs"]["train-and-report"]
    assert job["runs-on"] == (["self-hosted", "a100"] if gpu == "yes" else "ubuntu-latest")


# --- The default project, run by act --------------------------------------------------------
@pytest.fixture(scope="module")
def published(tmp_path_factory, s3_server, forge) -> PublishedProject:
    """The trained project, hosted by the forge stand-in as acme/ci-check."""
    project = published_project(tmp_path_factory, s3_server)
    forge.add_project(REPOSITORY, project.origin)
    return project


@pytest.fixture(scope="module")
def workflow(published) -> dict:
    """The default project's workflow, to read each step's command by its position."""
    return load_workflow(published.work / WORKFLOW)


def git(repository: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repository, capture_output=True, text=True, check=True).stdout.strip()


def pull_request_event(published, branch: str, head_repository: str = REPOSITORY) -> dict:
    """GitHub's pull_request event payload (the fields the workflow and cml read) for PR #7."""
    head = {"ref": branch, "sha": git(published.origin, "rev-parse", branch), "repo": {"full_name": head_repository}}
    return {"action": "synchronize", "number": 7, "repository": {"full_name": REPOSITORY},
            "pull_request": {"number": 7, "head": head, "base": {"ref": "main", "repo": {"full_name": REPOSITORY}}}}


def push_event(published, branch: str) -> dict:
    """A push to main whose new head is `branch`'s commit."""
    return {"ref": "refs/heads/main", "after": git(published.origin, "rev-parse", branch),
            "repository": {"full_name": REPOSITORY}}


@pytest.fixture(scope="module")
def run_act(published, forge, real_cml):
    """run_act(branch, event, payload, record, secrets=None, **options): clone `branch` from the forge
    as actions/checkout does and run the workflow for `event` with act, the real CML on the runner."""
    def run(branch: str, event: str, payload: dict, record: Path, secrets: dict | None = None, **options) -> ActRun:
        checkout = forge.clone(REPOSITORY, branch, record.with_name(record.name + "-checkout"), shallow=False)
        secrets = {**SECRETS, "GITHUB_TOKEN": GITHUB_TOKEN} if secrets is None else secrets
        result = run_workflow(checkout, event, payload, secrets, record, forge, real_cml,
                              variables={"UV_CACHE_DIR": uv_cache_dir(), "MYPY_CACHE_DIR": str(published.mypy_cache)},
                              **options)
        print(f"\nact {event} run of {branch}: {result.seconds:.1f} s")
        return result
    return run


def api_calls(run: ActRun) -> list[tuple[str, str]]:
    """(method, path) of each request to the forge's REST API during the run, CML's telemetry's aside."""
    return [(request.method, request.route) for request in run.forge_requests
            if request.api and not request.route.startswith("/api/v3/users/")]


def used_actions(record: Path) -> list[str]:
    log = record / "uses.jsonl"
    return [json.loads(line)["action"] for line in log.read_text().splitlines()] if log.exists() else []


def sent_by_cml(request: Recorded) -> str:
    """The comment body a request carried, checked to come from CML on Node 24 with the job's token."""
    assert request.headers["authorization"] == f"token {GITHUB_TOKEN}"
    assert "Node.js/24" in request.headers["user-agent"], request.headers["user-agent"]
    return request.json()["body"]


TRAIN = "train-and-report"
PULL_REQUEST_STEPS = ["make install-uv", "make setup", "make lint", "make ci-pull", "make pipeline", "make fetch-base",
                      "make report", "make install-cml", "make comment", "make gate"]


@pytest.fixture(scope="module")
def pull_request_7(published, forge, run_act, tmp_path_factory) -> dict:
    """Pull request #7, pushed twice: 120 trees instead of 200, then a tiny model below baseline.txt.

    Before the first run the pull request already holds a reviewer's comment and an earlier CML
    comment with another watermark title, which the report must leave alone.
    """
    root = tmp_path_factory.mktemp("pull-request-7")
    published.branch("gh-fewer-trees", lambda work: edit(
        work / "params.yaml", XGBOOST, "    n_estimators: 120\n    max_depth: 5\n"), "Try 120 trees")
    forge.open_request(REPOSITORY, 7, "gh-fewer-trees")
    seeded = [forge.add_comment(REPOSITORY, 7, "Could the model do with fewer trees?", "reviewer"),
              forge.add_comment(REPOSITORY, 7, "Data checks passed.\n\n" + WATERMARK.format(sha="0" * 40).replace(
                  "model report", "data checks"), "github-actions[bot]")]
    first_event = pull_request_event(published, "gh-fewer-trees")
    first = run_act("gh-fewer-trees", "pull_request", first_event, root / "first")
    published.push_commit("gh-fewer-trees", lambda work: edit(
        work / "params.yaml", "    n_estimators: 120\n    max_depth: 5\n", "    n_estimators: 1\n    max_depth: 1\n"),
        "Try a tiny model")
    second_event = pull_request_event(published, "gh-fewer-trees")
    second = run_act("gh-fewer-trees", "pull_request", second_event, root / "second")
    return {"first": (first, root / "first", first_event["pull_request"]["head"]["sha"]),
            "second": (second, root / "second", second_event["pull_request"]["head"]["sha"]),
            "seeded": [(comment.id, comment.body) for comment in seeded]}


def test_pull_request_changing_a_param_trains_reports_comments_then_gates(pull_request_7, workflow, forge):
    # Given a pull request that changes a training parameter, run by act as GitHub would
    run, record, head = pull_request_7["first"]

    # Then the fork job was skipped, and the train job's steps ran in the workflow's order and passed
    train = run.job(TRAIN)
    assert run.returncode == 0, train.log() + run.stderr
    assert not run.job("fork").ran
    assert not run.job("release").ran  # pull requests never release
    assert train.result == "success"
    assert train.commands(workflow, TRAIN) == PULL_REQUEST_STEPS
    assert used_actions(record) == ["checkout", "setup-python", "cache", "upload-artifact", "setup-node"]
    assert "train" in stages_run(train.output("Reproduce the pipeline"))
    # and CML (0.20.6, on Node 24, with the job's token) read the pull request's comments, found no
    # report of its own among them and posted one, marked for the next push to replace
    assert api_calls(run) == [("GET", COMMENTS), ("POST", COMMENTS)]
    [posted] = [request for request in run.forge_requests if request.method == "POST"]
    report, watermark = sent_by_cml(posted).rsplit("\n\n", 1)
    assert watermark == WATERMARK.format(sha=head)
    # holding both revisions' metrics, the params diff, the verdict and a link to the images, which
    # stay in the run's artifact (CML_PUBLISH_IMAGES is "false" by default)
    assert "## Gate: ✅ passed" in report
    assert re.search(r"\| Path +\| Metric +\| origin/main +\| workspace +\| Change", report)
    assert re.search(r"\| metrics\.json +\| roc_auc +\| 0\.\d+ +\| 0\.\d+ ", report)
    assert re.search(r"\| train\.xgboost\.n_estimators +\| 200 +\| 120 ", report)
    assert re.search(rf"{re.escape(forge.url)}/{REPOSITORY}/actions/runs/\d+", report)
    assert "![" not in report
    artifact = {path.name for path in (record / "artifacts" / "cml-report").rglob("*")}
    assert {"report.md", "roc.png", "precision_recall.png", "confusion_matrix.png", "feature_importance.png"} <= artifact
    assert report == (record / "artifacts" / "cml-report" / "cml-report" / "report.md").read_text()
    # with the data drift against main (a param change moves no feature) and the training curves
    assert "## Data drift" in report and "No feature drifted." in report
    assert "## Training curves" in report and "training_curves.png" in artifact
    # and no secret reached the log
    assert SECRETS["AWS_SECRET_ACCESS_KEY"] not in run.text() and GITHUB_TOKEN not in run.text()


def test_pull_request_below_the_baseline_posts_its_report_then_fails(pull_request_7, workflow):
    # Given the same pull request, pushed again with a model worse than baseline.txt
    run, record, head = pull_request_7["second"]

    # Then every step ran, the report was posted, and the gate, last, failed the run
    train = run.job(TRAIN)
    assert run.returncode != 0 and train.result == "failure"
    assert train.commands(workflow, TRAIN) == PULL_REQUEST_STEPS
    assert [step.result for step in train.steps][-2:] == ["success", "failure"]
    assert "GATE FAILED" in train.output(train.steps[-1].name)
    # by updating the first push's report comment in place (CML found it by its watermark)
    report_id = forge_comment_id(pull_request_7["first"][0])
    assert api_calls(run) == [("GET", COMMENTS), ("PATCH", f"/api/v3/repos/{REPOSITORY}/issues/comments/{report_id}")]
    [patched] = [request for request in run.forge_requests if request.method == "PATCH"]
    report, watermark = sent_by_cml(patched).rsplit("\n\n", 1)
    assert watermark == WATERMARK.format(sha=head)
    assert "## Gate: ❌ failed" in report
    assert "is worse than the baseline" in report


def test_pull_request_has_one_report_comment_however_often_pushed(pull_request_7, forge):
    # Given pull request #7, which held two comments, pushed twice and run twice (above)
    second, _, head = pull_request_7["second"]

    # Then it holds one report comment more: created by the first run, replaced by the second
    *untouched, report = forge.comments(REPOSITORY, 7)
    assert report.id == forge_comment_id(pull_request_7["first"][0]) and report.edits == 1
    [patched] = [request for request in second.forge_requests if request.method == "PATCH"]
    assert report.body == patched.json()["body"]
    assert report.body.endswith(WATERMARK.format(sha=head))
    # and the comments it held before, the reviewer's and another CML report, are as they were
    assert [(comment.id, comment.body) for comment in untouched] == pull_request_7["seeded"]
    assert [comment.edits for comment in untouched] == [0, 0]


def forge_comment_id(run: ActRun) -> int:
    """The id the forge gave the comment that `run` created."""
    [created] = [request for request in run.forge_requests if request.method == "POST" and request.status == 201]
    return created.answer()["id"]


def test_push_to_main_reproduces_and_uploads_to_the_remote(published, run_act, s3_server, tmp_path, workflow):
    # Given a new commit on main that changes the evaluation: a stage run the remote has not seen
    published.branch("gh-main-next", lambda work: edit(
        work / "params.yaml", "  curve_points: 200 ", "  curve_points: 150 "), "Keep fewer curve points")
    before = set(s3_server.keys(published.bucket))

    # When the workflow runs for the push to main
    run = run_act("gh-main-next", "push", push_event(published, "gh-main-next"), tmp_path / "run")

    # Then it reproduced what changed, uploaded that run to the remote's run cache (so pull requests
    # from this main restore it instead of running it), gated, and posted nothing
    train = run.job(TRAIN)
    assert run.returncode == 0, train.log() + run.stderr
    assert train.commands(workflow, TRAIN) == ["make install-uv", "make setup", "make ci-pull", "make pipeline",
                                               "make push", "make gate"]
    assert "evaluate" in stages_run(train.output("Reproduce the pipeline"))
    assert "train" not in stages_run(train.output("Reproduce the pipeline"))
    uploaded = set(s3_server.keys(published.bucket)) - before
    assert uploaded and all(key.startswith("music/runs/") for key in uploaded), uploaded
    assert [request.path for request in run.forge_requests if request.api] == []
    assert SECRETS["AWS_SECRET_ACCESS_KEY"] not in run.text()
    # and the release job, finding that the commit's dvc.lock does not pin what CI trained (its author
    # did not reproduce it), said so and released nothing, without failing main
    release = run.job("release")
    assert release.result == "success", release.log()
    assert "release: not released: this commit's dvc.lock does not pin" in release.output(
        "Register the version and push its tag")
    assert git(published.origin, "tag", "--points-at", git(published.origin, "rev-parse", "gh-main-next")) == ""


@pytest.fixture(scope="module")
def gpu_push_to_main(published, run_act, tmp_path_factory) -> dict:
    """A push to main of a commit that switches the workflow to GPU runners ([self-hosted, a100]) and
    changes the evaluation, reproduced by its author (dvc.lock committed), pushing nothing; run twice:
    with no runner labelled a100, then with this machine registered as one.

    The labelled run is also the suite's run of a release from a reproduced commit: the release job
    runs on ubuntu-latest and is the same in the GPU and the default workflow (its test checks that),
    so one push to main proves both, and act runs the training and release jobs once, not twice.
    """
    root = tmp_path_factory.mktemp("gpu-push-to-main")
    gpu_workflow_file = bake(root / "gpu", use_gpu="yes", gpu_runner_tag="a100") / WORKFLOW
    gpu_workflow = gpu_workflow_file.read_text()

    def gpu_runners_and_fewer_points_reproduced(work: Path) -> None:
        (work / WORKFLOW).write_text(gpu_workflow)
        edit(work / "params.yaml", "  curve_points: 200 ", "  curve_points: 160 ")
        run_command(["make", "pipeline"], cwd=work)

    published.branch("gh-gpu-reproduced", gpu_runners_and_fewer_points_reproduced,
                     "Train on GPU runners; keep fewer curve points, reproduced")
    payload = push_event(published, "gh-gpu-reproduced")
    unlabelled = run_act("gh-gpu-reproduced", "push", payload, root / "unlabelled")
    labelled = run_act("gh-gpu-reproduced", "push", payload, root / "labelled",
                       platforms={"ubuntu-latest": "-self-hosted", "a100": "-self-hosted"})
    return {"unlabelled": unlabelled, "labelled": labelled, "workflow": load_workflow(gpu_workflow_file)}


def test_push_to_main_with_a_reproduced_commit_releases_and_pushes_the_tag(gpu_push_to_main, published, workflow):
    # Given a commit on main whose author reproduced it (dvc.lock committed), pushing nothing, and
    # whose workflow's release job is the default workflow's (the commit also moves training to GPU
    # runners, see gpu_push_to_main)
    assert gpu_push_to_main["workflow"]["jobs"]["release"] == workflow["jobs"]["release"]

    # When the workflow runs for the push to main
    run = gpu_push_to_main["labelled"]

    # Then, the gate passed, the release job registered the commit's model and pushed the tag to origin
    # (the forge's git server, with the job's token, as the only write of the run)
    release = run.job("release")
    assert run.returncode == 0 and release.result == "success", release.log() + run.stderr
    output = release.output("Register the version and push its tag")
    tag = re.search(r"registered (model@v\d+\.\d+\.\d+) \(roc_auc 0\.\d{5} >= baseline", output)
    assert tag, output
    commit = git(published.origin, "rev-parse", "gh-gpu-reproduced")
    assert git(published.origin, "rev-parse", f"{tag.group(1)}^{{commit}}") == commit
    assert "data: 6000 rows" in git(published.origin, "tag", "--list", "--format=%(contents)", tag.group(1))
    pushes = [request for request in run.forge_requests
              if request.git_service == "git-receive-pack" and request.method == "POST"]
    assert [(request.user, request.status) for request in pushes] == [("x-access-token", 200)]
    assert base64.b64decode(pushes[0].headers["authorization"].split()[1]).decode() == f"x-access-token:{GITHUB_TOKEN}"
    assert GITHUB_TOKEN not in run.text() and SECRETS["AWS_SECRET_ACCESS_KEY"] not in run.text()


def test_pull_request_from_a_fork_gets_a_clear_message(published, run_act, tmp_path):
    # Given a pull request from a fork, which GitHub runs without this repository's secrets
    payload = pull_request_event(published, "main", head_repository="someone/ci-check")

    # When the workflow runs for it
    run = run_act("main", "pull_request", payload, tmp_path / "run", secrets={})

    # Then the training job is skipped and the fork job fails, saying why
    assert run.returncode != 0
    assert not run.job(TRAIN).ran
    fork = run.job("fork")
    assert fork.result == "failure"
    # The step prints the ::error:: line and exits at once. Under load, the step's output once came
    # back empty from act's log; whether act filed the line elsewhere or lost it is not known, so
    # the whole run's output counts too (the fork job is the only job that ran: the line is its).
    message = "Pull requests from forks get no access to this repository's secrets"
    assert message in fork.log() or message in run.text(), fork.log() + run.stderr
    # and nothing reached the forge: no comment, not even a look at the pull request
    assert run.forge_requests == []


def test_gpu_training_job_is_selected_by_its_runner_label(gpu_push_to_main):
    # Given main with the workflow of a use_gpu=yes bake, whose training job runs on [self-hosted, a100]
    # When act offers no runner with that label, then the training job waits for one: it does not run
    unlabelled = gpu_push_to_main["unlabelled"]
    assert not unlabelled.job(TRAIN).ran
    assert "a100" in unlabelled.text()
    # When this machine registers as a runner labelled a100, then the training job runs on it and passes
    labelled = gpu_push_to_main["labelled"]
    assert labelled.returncode == 0, labelled.job(TRAIN).log() + labelled.stderr
    assert labelled.job(TRAIN).result == "success"
    # and the cloud runner's launcher, on a GitHub-hosted runner, does nothing without CML_RUNNER_TOKEN
    launcher = labelled.job("launch-gpu-runner")
    assert launcher.result == "success"
    assert launcher.steps == []  # act logs no step whose if: is false
    assert [request.path for request in labelled.forge_requests if request.api] == []  # pushes post nothing


def test_report_says_when_the_base_has_no_results_yet(published, tmp_path):
    # Given a base revision from before the first pipeline run: no metrics, params or reports
    empty_tree = git(published.work, "hash-object", "-t", "tree", "/dev/null")
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


def test_report_on_main_with_uncommitted_changes_compares_the_workspace_with_its_last_commit(published, tmp_path):
    # Given main's working copy with an uncommitted change
    work = copy_project(published.work, tmp_path)
    (work / "README.md").write_text((work / "README.md").read_text() + "\nA draft note.\n")

    # When the report is built there, against main
    result = subprocess.run(["make", "report", f"REPORT_DIR={tmp_path / 'report'}"], cwd=work,
                            capture_output=True, text=True)

    # Then it says that it compares the workspace with the last commit, not main with itself
    assert result.returncode == 0, result.stdout + result.stderr
    head = git(work, "rev-parse", "--short", "HEAD")
    assert (f"Comparing the workspace of `main` (with uncommitted changes) with its last commit, "
            f"`origin/main` ({head}).") in (tmp_path / "report" / "report.md").read_text()
