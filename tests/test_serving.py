"""Serving a released model, for real: a uvicorn server process on 127.0.0.1 serving a bundle that
`make serve STAGE=prod` fetched with `dvc artifacts get` from the project's DVC remote, a rollback
between two releases, `make smoke` against that server, `make predict` on the sample's raw rows,
and the serving image: its Dockerfile linted by hadolint and its own command run (no Docker daemon
here), health check included.

One story on a copy of the session's reproduced project (conftest.reproduced_project).
"""

import csv
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import copy_project, run

GIT_IDENTITY = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com", "GIT_COMMITTER_NAME": "Test",
                "GIT_COMMITTER_EMAIL": "test@example.com"}
MODULE = "music_recommendation"  # the default bake's package


def commit(project: Path, message: str) -> None:
    run(["git", "add", "--all"], cwd=project, env=GIT_IDENTITY)
    run(["git", "commit", "--quiet", "--message", message], cwd=project, env=GIT_IDENTITY)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


class Server:
    """A server process started by `command` in `cwd`, stopped by its process group (make's children)."""

    def __init__(self, command: list[str], cwd: Path, port: int, env: dict | None = None):
        self.url = f"http://127.0.0.1:{port}"
        self.log = open(cwd / f"server-{port}.log", "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(command, cwd=cwd, env={**os.environ, **(env or {})}, stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                get(f"{self.url}/health")
                return
            except OSError:
                time.sleep(0.3)
        self.stop()
        pytest.fail(f"{command} did not become healthy:\n{(cwd / f'server-{port}.log').read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


@pytest.fixture(scope="module")
def released(reproduced_project, tmp_path_factory) -> dict:
    """The project with two releases, v0.1.0 (200 trees) and v0.2.0 (a shallower model), both pushed."""
    project = copy_project(reproduced_project[0], tmp_path_factory.mktemp("serving"))
    commit(project, "Train the first model")
    run(["make", "release"], cwd=project, env=GIT_IDENTITY)
    params = project / "params.yaml"
    params.write_text(params.read_text().replace("    max_depth: 5\n", "    max_depth: 3\n", 1))
    run(["make", "repro"], cwd=project)
    commit(project, "Shallower trees")
    run(["make", "release"], cwd=project, env=GIT_IDENTITY)
    run(["make", "push"], cwd=project)
    metrics = {version: json.loads(run(["git", "show", f"model@{version}:metrics.json"], cwd=project).stdout)
               for version in ("v0.1.0", "v0.2.0")}
    assert metrics["v0.1.0"] != metrics["v0.2.0"]
    return {"project": project, "metrics": metrics}


@pytest.mark.e2e  # a real HTTP server (uvicorn) serving the bundle
def test_a_released_bundle_is_served_smoke_checked_and_rolled_back(released):
    project = released["project"]
    # given v0.2.0 in prod, served by make serve STAGE=prod (fetched with dvc artifacts get)
    run(["make", "promote", "STAGE=prod", "VERSION=v0.2.0"], cwd=project, env=GIT_IDENTITY)
    port = free_port()
    server = Server(["make", "serve", "STAGE=prod", f"PORT={port}"], cwd=project, port=port)
    try:
        metadata = get(f"{server.url}/metadata")
        # then it serves v0.2.0 from the fetched bundle, on 127.0.0.1, and make smoke passes against it
        assert (metadata["version"], metadata["stage"]) == ("v0.2.0", "prod")
        assert metadata["metric"]["value"] == released["metrics"]["v0.2.0"]["roc_auc"]
        assert (project / ".serving/model@v0.2.0/bundle/bundle.json").exists()
        smoke = run(["make", "smoke", "STAGE=prod", f"PORT={port}"], cwd=project)
        assert "200 reference rows answered as evaluate did by model@v0.2.0" in smoke.stdout
        # and a raw row of the sample gets an answer with the version
        with open(project / "data/raw/interactions.csv", newline="") as table:
            row = next(csv.DictReader(table))  # every value as text, the target too (ignored)
        request = urllib.request.Request(f"{server.url}/predict", data=json.dumps([row]).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.loads(response.read())
        assert answer["version"] == "v0.2.0" and answer["predictions"][0] in ("0", "1")
    finally:
        server.stop()
    # when prod is rolled back to v0.1.0 and the server restarted on the stage
    run(["make", "promote", "STAGE=prod", "VERSION=v0.1.0"], cwd=project, env=GIT_IDENTITY)
    server = Server(["make", "serve", "STAGE=prod", f"PORT={port}"], cwd=project, port=port)
    try:
        # then it serves v0.1.0, whose own reference rows it answers as its evaluate did
        metadata = get(f"{server.url}/metadata")
        assert metadata["version"] == "v0.1.0" and metadata["metric"]["value"] == released["metrics"]["v0.1.0"]["roc_auc"]
        assert "by model@v0.1.0" in run(["make", "smoke", "STAGE=prod", f"PORT={port}"], cwd=project).stdout
        # and make smoke refuses to vouch for a server that serves another version than asked
        wrong = run(["make", "smoke", "VERSION=v0.2.0", f"PORT={port}"], cwd=project, check=False)
        assert wrong.returncode != 0 and "serves model@v0.1.0, not v0.2.0" in wrong.stderr
        assert "Traceback" not in wrong.stderr
    finally:
        server.stop()
    # and prod can roll forward to v0.2.0 again: the newest assignment decides, as gto show says
    forward = run(["make", "promote", "STAGE=prod", "VERSION=v0.2.0"], cwd=project, env=GIT_IDENTITY)
    assert "model@v0.2.0 is now in stage prod (tag model#prod#3)" in forward.stdout


def test_make_predict_scores_the_samples_raw_rows_to_a_file(released):
    project = released["project"]
    result = run(["make", "predict", "IN=data/raw/interactions.csv", "OUT=predictions.csv", "VERSION=v0.1.0"],
                 cwd=project)
    rows = len((project / "data/raw/interactions.csv").read_text().splitlines()) - 1
    assert f"predict: {rows} rows of data/raw/interactions.csv scored by model@v0.1.0" in result.stdout
    lines = (project / "predictions.csv").read_text().splitlines()
    assert lines[0] == "prediction,probability_0,probability_1" and len(lines) == rows + 1
    missing = run(["make", "predict", "OUT=p.csv"], cwd=project, check=False)
    assert missing.returncode == 2 and "make predict needs IN=" in missing.stderr


def dockerfile_instruction(text: str, name: str) -> str:
    """The arguments of the Dockerfile's last `name` instruction, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", text)
    return [line.split(None, 1)[1] for line in joined.splitlines() if line.startswith(f"{name} ")][-1]


@pytest.mark.e2e  # a real HTTP server (uvicorn) serving the bundle
def test_the_image_is_linted_and_its_own_command_serves_the_bundle(released, tmp_path):
    project = released["project"]
    dockerfile = (project / "Dockerfile").read_text()
    # given a Dockerfile that hadolint passes: a slim base, a user that is not root, a health check
    hadolint = run([str(Path(sys.executable).with_name("hadolint")), "Dockerfile"], cwd=project, check=False)
    assert hadolint.returncode == 0, hadolint.stdout + hadolint.stderr
    assert re.search(r"^FROM python:3\.11-slim$", dockerfile, re.M) and "USER 10001" in dockerfile
    assert "COPY models/bundle ./bundle" in dockerfile
    # when its CMD runs as the container would: in a folder laid out as the image's /app, with the
    # image's environment, only the address changed (as `docker run -e HOST=... -e PORT=...` would)
    app = tmp_path / "app"
    app.mkdir()
    run(["cp", "-r", str(project / "models/bundle"), str(app / "bundle")], cwd=tmp_path)
    run(["cp", str(project / "params.yaml"), str(app)], cwd=tmp_path)
    environment = dict(re.findall(r"(\w+)=(\S+)", dockerfile_instruction(dockerfile, "ENV")))
    command = json.loads(dockerfile_instruction(dockerfile, "CMD"))
    assert command[:4] == ["python", "-m", f"{MODULE}.serving", "serve"]
    serve_recipe = (project / "Makefile").read_text().split("\nserve:")[1].split("\n\n")[0]
    assert "-m $(MODULE).serving serve" in serve_recipe  # make serve runs the same command
    port = free_port()
    environment |= {"MODEL_VERSION": "v0.1.0", "MODEL_COMMIT": "", "HOST": "127.0.0.1", "PORT": str(port),
                    "PATH": f"{project / '.venv/bin'}:{os.environ['PATH']}"}
    server = Server(command, cwd=app, port=port, env=environment)
    try:
        # then it serves the copied bundle, and the image's HEALTHCHECK command passes against it
        assert get(f"{server.url}/health")["version"] == "v0.1.0"
        check = json.loads(dockerfile_instruction(dockerfile, "HEALTHCHECK").split("CMD ", 1)[1])
        assert subprocess.run(check, cwd=app, env={**os.environ, **environment}, timeout=30).returncode == 0
        assert "200 reference rows answered as evaluate did" in run(
            [str(project / ".venv/bin/python"), "-m", f"{MODULE}.serving", "smoke", "--bundle", str(app / "bundle"),
             "--version", "v0.1.0", "--url", server.url], cwd=project).stdout
    finally:
        server.stop()
    # and the request log went to standard output (REQUEST_LOG=-), one JSON line per request
    logged = [json.loads(line) for line in (app / f"server-{port}.log").read_text().splitlines() if line.startswith("{")]
    assert logged and logged[-1]["version"] == "v0.1.0" and len(logged[-1]["rows"]) == 200
