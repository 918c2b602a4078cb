"""The DVC remote: one person pushes, a teammate pulls and gets the same data, models and results.

Real services only: a moto S3 server on loopback (s3_server.py), git remotes that are bare
repositories on disk, and the generated Makefile run with `make`. Both kinds of remote start from
the session's set-up and reproduced default project (conftest.reproduced_project), copied and
moved to its remote with `make remote` (`s3_project`, `local_project`); the fault tests work on
copies of the S3 one. That a project baked with an S3 remote pushes to it is tools/ci_project.py's
published_project; that `make setup` adds the directory remote is checked on conftest.ready_project.

`pytest -rP tests/test_remote.py -k round_trip` prints how long `make push` and `make pull` took.
"""

import http.client
import json
import os
import signal
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import cast
from urllib.parse import urlparse

import pytest
import yaml
from conftest import copy_project, dvc_config, run, seed_venv, stages_run
from s3_server import CREDENTIALS, IAM_BUCKET, free_port

STAGES = ["preprocess", "train", "evaluate", "sanity-check", "bundle"]
MODEL = Path("models/model.joblib")
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Owner", "GIT_AUTHOR_EMAIL": "owner@example.com",
    "GIT_COMMITTER_NAME": "Owner", "GIT_COMMITTER_EMAIL": "owner@example.com",
}
# Keeps botocore from asking a cloud metadata service for credentials when there are none.
NO_METADATA = {"AWS_EC2_METADATA_DISABLED": "true"}


@dataclass
class Project:
    path: Path
    env: dict  # what `make push` / `make pull` need in the environment (credentials)
    remote: str  # what kind of remote, for the timings printed


# --- Helpers ------------------------------------------------------------------------------
def new_bucket(server) -> str:
    name = f"test-{uuid.uuid4().hex[:12]}"
    server.client().create_bucket(Bucket=name)
    return name


def commit_all(project: Path, message: str) -> None:
    run(["git", "add", "--all"], cwd=project)
    run(["git", "commit", "--quiet", "-m", message], cwd=project, env=GIT_IDENTITY)


def publish_and_clone(project: Path, workdir: Path) -> Path:
    """Push the project's git history to a bare repository; clone it as a teammate would."""
    shared = workdir / "shared.git"
    run(["git", "init", "--quiet", "--bare", str(shared)], cwd=workdir)
    run(["git", "push", "--quiet", str(shared), "main"], cwd=project)
    teammate = workdir / "teammate" / project.name
    run(["git", "clone", "--quiet", "--branch", "main", str(shared), str(teammate)], cwd=workdir)
    return teammate


def set_local_config(project: Path, **settings: str) -> None:
    """Override remote settings in .dvc/config.local (git-ignored), as a user would."""
    for key, value in settings.items():
        run([".venv/bin/dvc", "remote", "modify", "--local", "storage", key, value], cwd=project)


def stored_objects(directory: Path) -> set[str]:
    return {str(path.relative_to(directory)) for path in directory.rglob("*") if path.is_file()}


def cached_objects(project: Path) -> set[str]:
    """Paths of the objects in the project's DVC cache, as they are named in a remote."""
    return stored_objects(project / ".dvc" / "cache")


def pushed_objects(project: Path) -> set[str]:
    """The cached objects that `dvc push` sends: all but the copies of `cache: false` outputs
    (metrics and plots), which DVC keeps locally for its run cache and git already holds."""
    uncached = {
        path
        for stage in yaml.safe_load((project / "dvc.yaml").read_text())["stages"].values()
        for kind in ("outs", "metrics", "plots")
        for entry in stage.get(kind, [])
        if isinstance(entry, dict)
        for path, options in entry.items()
        if options.get("cache") is False
    }
    lock = yaml.safe_load((project / "dvc.lock").read_text())["stages"]
    local_only = {out["md5"] for stage in lock.values() for out in stage.get("outs", []) if out["path"] in uncached}
    # metrics.json, data_profile.json, feature_distributions.json, prediction_distribution.json, reports/plots/,
    # reports/training/, confusion matrix
    assert len(local_only) == len(uncached) == 7
    for listing in [md5 for md5 in local_only if md5.endswith(".dir")]:  # a folder: its files stay local too
        manifest = project / ".dvc/cache/files/md5" / listing[:2] / listing[2:]
        local_only |= {entry["md5"] for entry in json.loads(manifest.read_text())}
    # unless a cached output holds the same bytes: the serving bundle carries copies of metrics.json
    # and the distributions, and DVC stores (and pushes) each content once
    pushed = {out["md5"] for stage in lock.values() for out in stage.get("outs", []) if out["path"] not in uncached}
    for listing in [md5 for md5 in pushed if md5.endswith(".dir")]:
        manifest = project / ".dvc/cache/files/md5" / listing[:2] / listing[2:]
        pushed |= {entry["md5"] for entry in json.loads(manifest.read_text())}
    local_only -= pushed
    return {name for name in cached_objects(project) if name.replace("files/md5/", "").replace("/", "") not in local_only}


def remote_objects(s3_server, bucket: str, prefix: str) -> set[str]:
    return {key.removeprefix(f"{prefix}/") for key in s3_server.keys(bucket) if key.startswith(f"{prefix}/")}


def timed_make(target: str, project: Path, env: dict, **kwargs):
    started = time.monotonic()
    result = run(["make", target], cwd=project, env=env, **kwargs)
    return result, time.monotonic() - started


def model_md5(project: Path) -> str:
    lock = yaml.safe_load((project / "dvc.lock").read_text())
    return next(out["md5"] for out in lock["stages"]["train"]["outs"] if out["path"] == str(MODEL))


# --- Projects: the session's reproduced project, on each kind of remote --------------------
@pytest.fixture(scope="session")
def s3_project(reproduced_project, tmp_path_factory, s3_server) -> Project:
    """A copy of the reproduced default project, moved to an S3 remote on the moto server; all committed, not pushed."""
    bucket = new_bucket(s3_server)
    path = copy_project(reproduced_project[0], tmp_path_factory.mktemp("s3"))
    run(["make", "remote", f"URL=s3://{bucket}/store", f"ENDPOINT={s3_server.endpoint}"], cwd=path)
    commit_all(path, "Pipeline run on the sample data")
    return Project(path, {**CREDENTIALS, **NO_METADATA}, "S3 on moto_server")


@pytest.fixture(scope="session")
def local_project(reproduced_project, tmp_path_factory) -> Project:
    """A copy of the reproduced default project whose directory remote is beside the copy, where
    `make setup` puts it (test_setup_puts_the_default_remote_beside_the_project), not yet made;
    all committed, not pushed."""
    path = copy_project(reproduced_project[0], tmp_path_factory.mktemp("local"))
    run(["make", "remote", f"URL={path.resolve()}-dvc-storage"], cwd=path)
    commit_all(path, "Pipeline run on the sample data")
    return Project(path, {}, "local directory")


@pytest.fixture
def s3_copy(s3_project, tmp_path) -> Project:
    return Project(copy_project(s3_project.path, tmp_path), dict(s3_project.env),
                   s3_project.remote)


# --- The round trip -----------------------------------------------------------------------
def teammate_round_trip(owner: Project, workdir: Path, stack: Path) -> dict:
    """Owner pushes; a teammate clones, sets up, pulls, and finds nothing to recompute.

    The teammate's `make setup` runs in a .venv seeded with the pinned stack (conftest.seed_venv):
    what setup does in a clone (no new sample data, no new remote, nothing for git) is what is
    tested here; installing the stack from scratch is conftest.ready_project's real setup.
    Returns the output of make push and make pull.
    """
    # given nothing pushed yet: make status lists the owner's data and model as new
    before = run(["make", "status"], cwd=owner.path, env=owner.env)
    assert "new:" in before.stdout and str(MODEL) in before.stdout
    # when the owner pushes data, models and run cache, and shares the git history
    push, push_s = timed_make("push", owner.path, owner.env)
    assert "are in sync" in run(["make", "status"], cwd=owner.path, env=owner.env).stdout
    teammate = publish_and_clone(owner.path, workdir)
    # and a teammate sets up the clone for real and pulls
    assert not (teammate / MODEL).exists()
    seed_venv(teammate, stack)
    run(["make", "setup"], cwd=teammate, env=owner.env)
    pull, pull_s = timed_make("pull", teammate, owner.env)
    # then the workspace matches the pipeline: nothing is out of date, no stage runs again
    assert "Data and pipelines are up to date." in run([".venv/bin/dvc", "status"], cwd=teammate).stdout
    repro = run(["make", "repro"], cwd=teammate, env=owner.env)
    assert stages_run(repro.stdout) == []
    assert all(f"Stage '{stage}' didn't change, skipping" in repro.stdout for stage in STAGES), repro.stdout
    assert "gate passed" in repro.stdout
    # and the teammate has the owner's model byte for byte, and changed no tracked file
    assert (teammate / MODEL).read_bytes() == (owner.path / MODEL).read_bytes()
    assert run(["git", "status", "--porcelain"], cwd=teammate).stdout == ""
    print(f"{owner.remote}, sample data: make push {push_s:.1f} s, make pull {pull_s:.1f} s")
    return {"push": push.stdout, "pull": pull.stdout}


def test_s3_round_trip_gives_the_teammate_identical_data_and_model(s3_project, s3_server, stack_venv, tmp_path):
    # given a project whose .dvc/config names the S3 remote and its endpoint, and no credentials
    config = (s3_project.path / ".dvc" / "config").read_text()
    remote = dvc_config(s3_project.path)['remote "storage"']
    bucket, prefix = urlparse(remote["url"]).netloc, urlparse(remote["url"]).path.strip("/")
    assert remote["endpointurl"] == s3_server.endpoint
    assert "secret" not in config.lower() and CREDENTIALS["AWS_ACCESS_KEY_ID"] not in config
    assert s3_server.keys(bucket) == []
    # when the owner pushes and a teammate clones and pulls; then see teammate_round_trip
    output = teammate_round_trip(s3_project, tmp_path, stack_venv)
    # and the bucket holds the owner's cached objects, the model among them; only the six metrics and
    # plots files stay local (git has them; DVC keeps a copy in the cache for its run cache)
    assert remote_objects(s3_server, bucket, prefix) == pushed_objects(s3_project.path)
    md5 = model_md5(s3_project.path)
    assert f"files/md5/{md5[:2]}/{md5[2:]}" in remote_objects(s3_server, bucket, prefix)
    assert "ok: remote 'storage'" in output["push"]


def test_setup_puts_the_default_remote_beside_the_project(ready_project):
    # given the default project, baked without a remote and set up for real (conftest.ready_project)
    # then make setup made a directory beside the project its default remote
    config = dvc_config(ready_project)
    assert config["core"]["remote"] == "storage"
    assert config['remote "storage"']["url"] == f"{ready_project.resolve()}-dvc-storage"


def test_local_default_round_trip_gives_the_teammate_identical_data_and_model(local_project, stack_venv, tmp_path):
    # given the default project, whose remote is a directory beside it (here, beside this copy), not yet made
    storage = (local_project.path.parent / f"{local_project.path.name}-dvc-storage").resolve()
    assert dvc_config(local_project.path)['remote "storage"']["url"] == str(storage)
    assert not storage.exists()
    # when the owner pushes and a teammate clones elsewhere and pulls; then see teammate_round_trip
    teammate_round_trip(local_project, tmp_path, stack_venv)
    # and the directory holds the owner's cached objects but the metrics and plots files (as above)
    assert stored_objects(storage) == pushed_objects(local_project.path)


def test_pipeline_runs_are_saved_to_the_run_cache_for_push(s3_project):
    # given a project whose pipeline has run
    # then each stage's run is in the run cache, which `make push` sends along
    runs = s3_project.path / ".dvc" / "cache" / "runs"
    assert len([path for path in runs.rglob("*") if path.is_file()]) == len(STAGES)


# --- Moving the remote --------------------------------------------------------------------
def test_make_remote_moves_the_project_to_s3_and_back(local_project, s3_server, tmp_path):
    # given a project on the local default remote, and an empty bucket
    project = copy_project(local_project.path, tmp_path)
    bucket = new_bucket(s3_server)
    # when it is moved to S3 with one command
    run(["make", "remote", f"URL=s3://{bucket}/moved", f"ENDPOINT={s3_server.endpoint}"], cwd=project)
    # then .dvc/config names the bucket and endpoint, and no credentials
    config = (project / ".dvc" / "config").read_text()
    remote = dvc_config(project)['remote "storage"']
    assert remote["url"] == f"s3://{bucket}/moved" and remote["endpointurl"] == s3_server.endpoint
    assert "access_key" not in config and "secret" not in config
    # and make push with credentials from the environment fills the bucket
    run(["make", "push"], cwd=project, env={**CREDENTIALS, **NO_METADATA})
    assert remote_objects(s3_server, bucket, "moved") == pushed_objects(project)
    # when it is moved back to a directory
    run(["make", "remote", f"URL={tmp_path / 'store'}"], cwd=project)
    # then the S3 endpoint is gone from the config too (DVC refuses it on a directory remote)
    remote = dvc_config(project)['remote "storage"']
    assert "endpointurl" not in remote and remote["url"] == str(tmp_path / "store")
    run(["make", "push"], cwd=project)
    assert stored_objects(tmp_path / "store") == pushed_objects(project)


def test_make_remote_without_url_explains_its_usage(local_project):
    # given a set-up project
    # when make remote is called without URL
    result = run(["make", "remote"], cwd=local_project.path, check=False)
    # then it stops with the usage, and the config is unchanged
    assert result.returncode != 0
    assert "usage: make remote URL=s3://bucket/prefix" in result.stderr
    assert run(["git", "status", "--porcelain", ".dvc/config"], cwd=local_project.path).stdout == ""


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["URL=s3://bkt/x;touch $HOME/PWNED"], "URL 's3://bkt/x;touch $HOME/PWNED' is not a valid S3 URL"),
        (["URL=s3://bkt/x", "ENDPOINT=http://h:1$(shell touch $HOME/PWNED)"],
         "ENDPOINT 'http://h:1$(shell touch $HOME/PWNED)' is not an http(s) URL"),
        (["URL=s3:/bucket/x"], "URL 's3:/bucket/x' is neither an s3:// URL nor an absolute directory path"),
        (["URL=C:\\dvc"], "URL 'C:\\\\dvc' is neither an s3:// URL nor an absolute directory path"),
        (["URL=/"], "URL '/' is the root of a file system or a home folder"),
        (["URL=s3://192.168.0.1/x"], "URL 's3://192.168.0.1/x' is not a valid S3 URL: use s3://bucket/prefix with a "
                                     "bucket name that follows AWS's naming rules: not formatted as an IP address"),
    ],
    ids=["command-in-url", "make-function-in-endpoint", "s3-one-slash", "windows-path", "filesystem-root",
         "ip-address-bucket"],
)
def test_make_remote_refuses_bad_locations_as_typed_and_runs_nothing(local_project, tmp_path, arguments, message):
    # given a set-up project, and a HOME where an injected command would leave a file
    env = {"HOME": str(tmp_path)}
    # when make remote gets a value with shell or make syntax, or a location that is no remote
    result = run(["make", "remote", *arguments], cwd=local_project.path, env=env, check=False)
    # then it is refused naming the value exactly as typed (make expanded nothing), nothing ran,
    # and the config is unchanged
    assert result.returncode != 0
    assert f"error: {message}" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "PWNED").exists()
    assert run(["git", "status", "--porcelain", ".dvc/config"], cwd=local_project.path).stdout == ""


def test_make_remote_stores_shell_syntax_as_a_literal_directory(local_project, tmp_path):
    # given a directory name that a shell would run as a command if make pasted it unquoted
    project = copy_project(local_project.path, tmp_path)
    directory = f"{tmp_path}/store;touch${{IFS}}PWNED#1"
    # when the remote is moved there
    run(["make", "remote", f"URL={directory}"], cwd=project)
    # then DVC reads back the name exactly, and nothing ran
    assert dvc_config(project)['remote "storage"']["url"] == directory
    assert not (project / "PWNED").exists() and not (tmp_path / "PWNED").exists()


# MOTO_SIGNATURE_QUIRK: the key-checking moto server answers SignatureDoesNotMatch, even to the
# right key, to the ListObjectsV2 that s3fs sends when `dvc push` asks whether one object exists
# (seen with moto 5.2.5, dvc-s3 3.3.0). So against that server the tests check the credentials
# with the same request remote.py makes before every push, and the uploads themselves are
# tested against the plain server (round trips, faults fixed, the interrupted push).
CHECK_PUSH = [".venv/bin/python", "-m", "music_recommendation.ops.remote", "check", "--for", "push"]


def test_credentials_in_config_local_work_and_stay_out_of_git(s3_copy, s3_iam_server):
    # given a server that checks keys, its key in .dvc/config.local, and none in the environment
    prefix = f"team-{uuid.uuid4().hex[:8]}"
    set_local_config(s3_copy.path, url=f"s3://{IAM_BUCKET}/{prefix}", endpointurl=s3_iam_server.endpoint,
                     access_key_id=s3_iam_server.access_key_id,
                     secret_access_key=s3_iam_server.secret_access_key)
    env = {**NO_METADATA, "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}
    # when make push checks the remote (see MOTO_SIGNATURE_QUIRK for why DVC's upload is not run here)
    check = run(CHECK_PUSH, cwd=s3_copy.path, env=env)
    # then the server accepted those credentials, and the check says where they came from
    assert "ok: remote 'storage'" in check.stdout and "from the DVC config" in check.stdout
    # and git neither tracks nor offers to commit the file holding the secret
    assert run(["git", "check-ignore", ".dvc/config.local"], cwd=s3_copy.path).returncode == 0
    assert run(["git", "status", "--porcelain", "--untracked-files=all", ".dvc"], cwd=s3_copy.path).stdout == ""
    tracked = run(["git", "grep", "--cached", "-l", s3_iam_server.secret_access_key], cwd=s3_copy.path, check=False)
    assert tracked.stdout == ""


# --- Faults: a clear message, nothing lost ------------------------------------------------
def assert_refused(result, *phrases: str) -> None:
    """make failed in the remote check, before DVC started, with a message naming the fix."""
    assert result.returncode != 0
    assert "dvc push" not in result.stdout and "dvc pull" not in result.stdout  # DVC never started
    assert "Nothing was sent or changed" in result.stderr
    for phrase in phrases:
        assert phrase in result.stderr, result.stderr


def assert_push_completes(project: Project, s3_server, bucket: str, prefix: str, env: dict) -> None:
    """Once the setting is fixed, the same push sends everything: the fault lost nothing."""
    run(["make", "push"], cwd=project.path, env=env)
    assert remote_objects(s3_server, bucket, prefix) == pushed_objects(project.path)


def test_unreachable_endpoint_is_named_with_the_setting_to_fix(s3_copy, s3_server, tmp_path):
    # given a remote whose endpoint is a closed port on this machine
    closed = f"http://127.0.0.1:{free_port()}"
    bucket = new_bucket(s3_server)
    set_local_config(s3_copy.path, url=f"s3://{bucket}/store", endpointurl=closed)
    model = (s3_copy.path / MODEL).read_bytes()
    # when pushing and pulling
    started = time.monotonic()
    push = run(["make", "push"], cwd=s3_copy.path, env=s3_copy.env, check=False)
    pull = run(["make", "pull"], cwd=s3_copy.path, env=s3_copy.env, check=False)
    # then both stop at once, name the endpoint and the command that changes it where it is set
    assert time.monotonic() - started < 20
    for result in (push, pull):
        assert_refused(result, f"cannot reach {closed}", "dvc remote modify --local storage endpointurl")
    # and the workspace is untouched; with the endpoint fixed the push completes
    assert (s3_copy.path / MODEL).read_bytes() == model
    set_local_config(s3_copy.path, endpointurl=s3_server.endpoint)
    assert_push_completes(s3_copy, s3_server, bucket, "store", s3_copy.env)


def test_missing_bucket_is_named_with_how_to_create_it(s3_copy, s3_server):
    # given a remote whose bucket does not exist
    bucket = f"missing-{uuid.uuid4().hex[:8]}"
    set_local_config(s3_copy.path, url=f"s3://{bucket}/store")
    # when pushing
    push = run(["make", "push"], cwd=s3_copy.path, env=s3_copy.env, check=False)
    # then the message names the bucket and how to create it or point elsewhere
    assert_refused(push, f"bucket '{bucket}' does not exist", f"aws s3 mb s3://{bucket}", "make remote URL=")
    # and once the bucket exists the push completes
    s3_server.client().create_bucket(Bucket=bucket)
    assert_push_completes(s3_copy, s3_server, bucket, "store", s3_copy.env)


def test_missing_credentials_are_named_with_both_ways_to_give_them(s3_copy, s3_server, monkeypatch, tmp_path):
    # given no AWS credentials anywhere: not in the environment, no ~/.aws files
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    bucket = new_bucket(s3_server)
    set_local_config(s3_copy.path, url=f"s3://{bucket}/store")
    # when pushing
    push = run(["make", "push"], cwd=s3_copy.path, env=NO_METADATA, check=False)
    # then the message names the environment variables and the git-ignored config file
    assert_refused(push, "no AWS credentials found", "AWS_ACCESS_KEY_ID", "AWS_PROFILE",
                   "dvc remote modify --local storage access_key_id")
    # and with credentials exported the push completes
    assert_push_completes(s3_copy, s3_server, bucket, "store", {**CREDENTIALS, **NO_METADATA})


@pytest.mark.parametrize("wrong", ["access-key", "secret-key"])
def test_bad_credentials_are_named_with_the_variable_to_fix(s3_copy, s3_iam_server, wrong):
    # given a server that checks keys, and a wrong key id or a wrong secret in the environment
    prefix = f"bad-{uuid.uuid4().hex[:8]}"
    set_local_config(s3_copy.path, url=f"s3://{IAM_BUCKET}/{prefix}", endpointurl=s3_iam_server.endpoint)
    good = {**s3_iam_server.env(), **NO_METADATA}
    if wrong == "access-key":
        bad, phrases = {**good, "AWS_ACCESS_KEY_ID": "AKIAUNKNOWNKEY000000"}, (
            "does not know the key 'AKIAUNKNOWNKEY000000' from the environment", "AWS_ACCESS_KEY_ID")
    else:
        bad, phrases = {**good, "AWS_SECRET_ACCESS_KEY": "not-the-secret"}, (
            f"secret key does not match the key '{s3_iam_server.access_key_id}'", "AWS_SECRET_ACCESS_KEY")
    # when pushing
    push = run(["make", "push"], cwd=s3_copy.path, env=bad, check=False)
    # then the message says which credential is wrong, where it came from, and what to set
    assert_refused(push, *phrases)
    # and with the right key the server accepts the check that make push runs first
    # (see MOTO_SIGNATURE_QUIRK for why DVC's upload is not run against this server)
    assert "ok: remote 'storage'" in run(CHECK_PUSH, cwd=s3_copy.path, env=good).stdout


def test_pull_from_a_directory_remote_that_does_not_exist_says_so(local_project, tmp_path):
    # given a project whose remote directory does not exist on this machine
    project = copy_project(local_project.path, tmp_path)
    set_local_config(project, url=str(tmp_path / "elsewhere"))
    # when pulling
    pull = run(["make", "pull"], cwd=project, check=False)
    # then the message names the directory and how to point at the real one
    assert_refused(pull, f"directory {tmp_path / 'elsewhere'}, which does not exist", "make remote URL=")


# --- An interrupted push ------------------------------------------------------------------
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "expect", "proxy-connection", "upgrade"}


class StallingProxy(ThreadingHTTPServer):
    """A loopback HTTP proxy in front of the S3 server: a network that dies part-way through a push.

    It forwards everything, except that after `uploads_allowed` PUTs it holds every further
    PUT unanswered, until `heal()`; held requests are then dropped, never forwarded.
    """

    daemon_threads = True

    def __init__(self, upstream: str, uploads_allowed: int):
        super().__init__(("127.0.0.1", 0), _Forward)
        self.upstream = urlparse(upstream)
        self.uploads_allowed = uploads_allowed
        self.uploads_seen = 0
        self.lock = threading.Lock()
        self.stalled = threading.Event()
        self.healed = threading.Event()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def heal(self) -> None:
        self.healed.set()


class _Forward(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep pytest's output clean
        pass

    def forward(self):
        proxy = cast(StallingProxy, self.server)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.command == "PUT" and not proxy.healed.is_set():
            with proxy.lock:
                proxy.uploads_seen += 1
                hold = proxy.uploads_seen > proxy.uploads_allowed
            if hold:
                proxy.stalled.set()
                proxy.healed.wait(timeout=120)
                self.close_connection = True
                return
        upstream = http.client.HTTPConnection(str(proxy.upstream.hostname), proxy.upstream.port, timeout=30)
        headers = {key: value for key, value in self.headers.items() if key.lower() not in HOP_BY_HOP}
        upstream.request(self.command, self.path, body=body or None, headers=headers)
        response = upstream.getresponse()
        data = response.read()
        upstream.close()
        self.send_response(response.status, response.reason)
        for key, value in response.getheaders():
            # HEAD keeps the object's length; other replies get the length of what is sent.
            if key.lower() not in HOP_BY_HOP and (self.command == "HEAD" or key.lower() != "content-length"):
                self.send_header(key, value)
        if self.command != "HEAD":
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = forward


@pytest.fixture
def stalling_proxy(s3_server):
    proxy = StallingProxy(s3_server.endpoint, uploads_allowed=3)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    yield proxy
    proxy.heal()
    proxy.shutdown()
    proxy.server_close()


def test_push_killed_part_way_completes_when_run_again(s3_copy, s3_server, stalling_proxy):
    # given a remote reached through a network that stalls after three uploads
    bucket = new_bucket(s3_server)
    set_local_config(s3_copy.path, url=f"s3://{bucket}/store", endpointurl=stalling_proxy.endpoint)
    expected = pushed_objects(s3_copy.path)
    # when a push is killed (SIGKILL, no chance to clean up) while its uploads hang
    push = subprocess.Popen(["make", "push"], cwd=s3_copy.path, env={**os.environ, **s3_copy.env},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        assert stalling_proxy.stalled.wait(timeout=60), "the push never reached the fourth upload"
        deadline = time.monotonic() + 10
        while len(remote_objects(s3_server, bucket, "store")) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        os.killpg(push.pid, signal.SIGKILL)
        push.communicate(timeout=30)
    # then the remote holds part of the data only
    assert 0 < len(remote_objects(s3_server, bucket, "store")) < len(expected)
    # when the network is back and the same push runs again
    stalling_proxy.heal()
    run(["make", "push"], cwd=s3_copy.path, env=s3_copy.env)
    # then the remote holds everything, and DVC agrees the cache and the remote are in sync
    assert remote_objects(s3_server, bucket, "store") == expected
    status = run([".venv/bin/dvc", "status", "--cloud"], cwd=s3_copy.path, env=s3_copy.env)
    assert "Cache and remote 'storage' are in sync." in status.stdout
