"""The serving image in CI: built and pushed for a release only, with least privilege.

Fast, on every combination: GitHub's serving-image job runs only after the release job of a push to
main, and builds only when the commit has a version (the tag the release job pushed, fetched by its
checkout); it alone has packages: write, and only its push step holds the token; GitLab's serving-image job builds with Buildah (no Docker daemon, no
privileged service) from the bundle and version the release job hands on. The schema, actionlint
and zizmor checks of the files as a whole are test_ci_github.py's and test_ci_gitlab.py's.

Slow, for real as far as it goes here: a reproduced push to main run by gitlab-ci-local, and one of a
released commit run by act (serving-image builds and pushes through the docker and
buildah stand-ins of tests/tools/container, which record what they were given).
"""

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import bake, combinations
from test_ci_github import REPOSITORY, push_event, run_act  # noqa: F401 (run_act: a fixture the tests use)
from test_ci_gitlab import PROJECT, Runner
from tools.act import WORKFLOW, load_workflow
from tools.ci_project import GIT_IDENTITY, edit, published_project

GITHUB = [param for param in combinations() if param.values[0]["ci_provider"] in ("both", "github")]
GITLAB = [param for param in combinations() if param.values[0]["ci_provider"] in ("both", "gitlab")]


@pytest.mark.parametrize("answers", [param.values[0] for param in GITHUB], ids=[param.id for param in GITHUB])
def test_github_builds_the_image_after_a_release_only_with_packages_write_there_alone(answers, tmp_path):
    workflow = load_workflow(bake(tmp_path, **answers) / WORKFLOW)
    job = workflow["jobs"]["serving-image"]
    assert job["needs"] == "release"
    assert "github.event_name == 'push' && github.ref == 'refs/heads/main'" in job["if"]
    assert job["permissions"] == {"contents": "read", "packages": "write"}
    assert [name for name, other in workflow["jobs"].items() if "packages" in (other.get("permissions") or {})] == [
        "serving-image"]
    version = next(step for step in job["steps"] if step.get("name") == "Find this commit's version")
    assert "make --silent released" in version["run"]  # the tag the release job pushed, fetched by checkout
    assert all(step.get("if") == "env.VERSION != ''" for step in job["steps"][job["steps"].index(version) + 1:])
    steps = job["steps"]
    with_token = [step["name"] for step in steps if "github.token" in json.dumps(step.get("env", {}))]
    assert with_token == ["Push the image"] and steps[-1]["name"] == "Push the image"
    assert [step.get("run") for step in steps if "secrets.AWS_" in json.dumps(step.get("env", {}))] == ["make ci-pull"]
    assert "make image IMAGE=" in json.dumps(steps) and "ghcr.io/" in steps[-1]["run"]
    assert all("@" in step["uses"] for step in steps if "uses" in step)  # the workflow's verified pins


@pytest.mark.parametrize("answers", [param.values[0] for param in GITLAB], ids=[param.id for param in GITLAB])
def test_gitlab_builds_the_image_with_buildah_after_a_release_without_a_privileged_daemon(answers, tmp_path):
    pipeline = yaml.safe_load((bake(tmp_path, **answers) / ".gitlab-ci.yml").read_text())
    job = pipeline["serving-image"]
    assert pipeline["stages"][-1] == job["stage"] == "publish"
    assert job["needs"] == [{"job": "release", "artifacts": True}]
    assert job["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "push" && $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH'}]
    assert job["image"].startswith("quay.io/buildah/stable:v")
    assert job["variables"]["BUILDAH_ISOLATION"] == "chroot" and "services" not in job
    script = "\n".join(job["script"])
    assert "buildah build" in script and "buildah push" in script and "docker" not in script
    assert script.index("unset AWS_ACCESS_KEY_ID") < script.index("buildah")
    release = pipeline["release"]
    assert release["artifacts"]["reports"] == {"dotenv": "release.env"}
    assert release["artifacts"]["paths"] == ["models/bundle/"]


# --- For real, as far as it goes here ----------------------------------------------------------
@pytest.fixture(scope="module")
def published(tmp_path_factory, s3_server, forge):
    """The CI tests' trained project, hosted by the forge stand-in under both forges' names."""
    project = published_project(tmp_path_factory, s3_server)
    for path in (REPOSITORY, PROJECT):
        if path not in forge.projects:
            forge.add_project(path, project.origin)
    return project


@pytest.fixture(scope="module")
def gitlab_runner(published, forge, real_cml) -> Runner:
    return Runner(published, forge, real_cml)


def reproduced_branch(published, name: str, points: int) -> None:
    """A branch off main that changes the evaluation and is reproduced by its author (dvc.lock committed)."""
    def change(work: Path) -> None:
        edit(work / "params.yaml", "  curve_points: 200 ", f"  curve_points: {points} ")
        subprocess.run(["make", "pipeline"], cwd=work, check=True, capture_output=True)

    published.branch(name, change, "Keep fewer curve points, reproduced")


def builds(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_gitlab_push_to_main_releases_then_builds_and_pushes_the_version_image(published, gitlab_runner, tmp_path):
    reproduced_branch(published, "gl-image", 110)
    pipeline = gitlab_runner.main_push_pipeline("gl-image", tmp_path)
    assert pipeline.returncode == 0, pipeline.output
    calls = builds(tmp_path / "image-builder.jsonl")
    version = pipeline.job_output("release").split("registered model@")[1].split(" ")[0]
    assert [call["argv"][0] for call in calls] == ["login", "build", "push"], pipeline.job_output("serving-image")
    login, build, push = calls
    assert login["tool"] == "buildah"
    assert f"MODEL_VERSION={version}" in build["argv"] and build["dockerfile"]
    assert "bundle.json" in build["bundle"] and "model.joblib" in build["bundle"]  # the release job's artifact
    assert push["argv"][-1].endswith(f":{version}")


def test_github_push_to_main_of_a_released_commit_builds_and_pushes_its_image(published, run_act, tmp_path):
    # Given a reproduced commit that its author released (the tag pushed): act's checkout stand-in
    # copies a clone made before the run, so the tag of a release made during the run is not in it
    reproduced_branch(published, "gh-image", 130)
    work = published.work
    run_command = lambda *args: subprocess.run(args, cwd=work, check=True, capture_output=True, text=True,  # noqa: E731
                                               env={**os.environ, **GIT_IDENTITY})
    run_command("git", "checkout", "--quiet", "gh-image")
    released = run_command("make", "release", "PUSH=1").stdout  # numbered after origin's versions, then pushed
    version = released.split("registered model@")[1].split()[0]
    run_command("git", "checkout", "--quiet", "main")
    # When the workflow runs for its push to main
    run = run_act("gh-image", "push", push_event(published, "gh-image"), tmp_path / "run")
    # Then the release job finds it released, and serving-image builds the version's image and pushes it
    image = run.job("serving-image")
    assert run.returncode == 0 and image.result == "success", image.log() + run.stderr
    assert f"already model@{version}" in run.job("release").output("Register the version and push its tag")
    calls = builds(tmp_path / "run" / "image-builder.jsonl")
    assert [(call["tool"], call["argv"][0]) for call in calls] == [("docker", "build"), ("docker", "login"),
                                                                   ("docker", "push"), ("docker", "logout")]
    build, login, push = calls[:3]
    assert f"MODEL_VERSION={version}" in build["argv"] and "bundle.json" in build["bundle"]
    assert login["password_given"] and push["argv"][-1] == f"ghcr.io/acme/ci-check:{version}"
