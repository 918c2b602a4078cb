"""Fixtures shared by the template's tests: bake a project, run commands in it.

Baking is cheap (well under a second), so tests bake their own project into a temporary
directory. Setting up a project (make setup: a virtual environment with the pinned stack)
is not, so tests that need one share `ready_project`, set up once per test session.
"""

import itertools
import json
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from configobj import ConfigObj
from cookiecutter.main import cookiecutter

pytest_plugins = ["s3_server", "tools.forge", "tools.real_cml"]  # the last two: the CI tests' forge stand-in and CML

TEMPLATE = Path(__file__).resolve().parents[1]
DEFAULTS = json.loads((TEMPLATE / "cookiecutter.json").read_text())

# The suite runs under `make test`, whose variables would reach every make that a test runs (make[1]:
# in its messages, the outer jobserver): each test's make is a user's, at a shell.
for _name in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS"):
    os.environ.pop(_name, None)


def bake(output_dir: Path, **answers: str) -> Path:
    """Bake the template with `answers` (others default) into output_dir; return the project."""
    project = cookiecutter(str(TEMPLATE), no_input=True, extra_context=answers, output_dir=str(output_dir))
    return Path(project)


def dvc_config(project: Path) -> ConfigObj:
    """.dvc/config read as DVC reads it (configobj: quoted values, `#` comments)."""
    return ConfigObj(str(project / ".dvc" / "config"), encoding="utf-8", file_error=True)


def run(command: list[str] | str, cwd: Path, check: bool = True, env: dict | None = None, **kwargs):
    """Run a command, capturing text output; on an unexpected exit, fail showing that output."""
    result = subprocess.run(
        command, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True,
        shell=isinstance(command, str), **kwargs,
    )
    if check and result.returncode != 0:
        pytest.fail(f"{command} exited {result.returncode} in {cwd}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}")
    return result


def stages_run(output: str) -> list[str]:
    """Names of the DVC stages that `dvc repro` output says it ran."""
    return [line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage")]


# --- Option combinations ------------------------------------------------------------------
# The options that change which files exist are multiplied; the others, which only change
# file contents, are cycled alongside so each value is still baked at least once.
STRUCTURAL = {"ci_provider": ["both", "github", "gitlab"], "use_gpu": ["no", "yes"], "license": ["a license", "none"]}
CYCLED = {
    # Period 4, not 2: the license axis alternates every combination, and a period-2 cycle
    # would bake xgboost only with a license and random_forest only without.
    "model": ["xgboost", "random_forest", "random_forest", "xgboost"],
    "python_version": ["3.11", "3.12", "3.13"],
    "open_source_license": ["MIT", "Apache-2.0", "BSD-3-Clause"],
    "dvc_remote_url": ["", "s3://team-models/music", "/srv/dvc-storage", "../shared-storage"],
}


def combinations():
    """Yield pytest.param(answers) for every combination worth baking, with readable ids."""
    cycled = {name: itertools.cycle(values) for name, values in CYCLED.items()}
    for ci_provider, use_gpu, license_kind in itertools.product(*STRUCTURAL.values()):
        answers = {name: next(values) for name, values in cycled.items()}
        answers |= {"ci_provider": ci_provider, "use_gpu": use_gpu}
        if license_kind == "none":
            answers["open_source_license"] = "none"
        if answers["dvc_remote_url"].startswith("s3://"):
            answers["s3_endpoint_url"] = "http://127.0.0.1:9000"
        remote = answers["dvc_remote_url"]
        remote_kind = "s3" if remote.startswith("s3://") else "dir" if remote.startswith("/") else "rel-dir" if remote else "local-default"
        test_id = "-".join([ci_provider, answers["model"], "gpu" if use_gpu == "yes" else "cpu",
                            f"py{answers['python_version']}", answers["open_source_license"], remote_kind])
        yield pytest.param(answers, id=test_id)


# --- A project that is set up for real, shared by the slow tests --------------------------
@pytest.fixture(scope="session")
def ready_project(tmp_path_factory) -> Path:
    """The default bake after a real `make setup` (venv, pinned packages, sample data)."""
    project = bake(tmp_path_factory.mktemp("ready"))
    run(["make", "setup"], cwd=project)
    return project


def copy_project(project: Path, destination: Path) -> Path:
    """A private copy of a set-up project that a test may change freely.

    Its .venv is the original's, through a symlink: the package is installed in editable mode
    from the original's src/, which the copies have byte for byte, and tests only read it.
    """
    copy = destination / project.name
    shutil.copytree(project, copy, symlinks=True, ignore=shutil.ignore_patterns(".venv"))
    (copy / ".venv").symlink_to(project / ".venv")
    return copy


@pytest.fixture(scope="session")
def reproduced_project(ready_project, tmp_path_factory) -> tuple[Path, str]:
    """(project, output of its first `make repro`): a copy of ready_project, reproduced once per session."""
    project = copy_project(ready_project, tmp_path_factory.mktemp("reproduced"))
    first = run(["make", "repro"], cwd=project)
    return project, first.stdout + first.stderr


@pytest.fixture
def project_copy(ready_project, tmp_path) -> Path:
    """A private copy of the set-up default project."""
    return copy_project(ready_project, tmp_path)


# --- Cleaning up cheaply ------------------------------------------------------------------
def discard(folder: Path) -> None:
    """Delete `folder` without waiting: renamed at once (same file system), removed by a detached `rm -rf`.

    A virtual environment is some 30,000 files, which take a test seconds to delete on a busy machine;
    the next test need not wait for that. What a cut-short `rm` leaves, under its `garbage-*` name, goes
    with the session's temporary folder (pytest_sessionfinish below, or pytest's own clean-up).
    """
    trash = folder.with_name(f"garbage-{uuid.uuid4()}")
    folder.rename(trash)
    subprocess.Popen(["rm", "-rf", "--", str(trash)], start_new_session=True, stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


CALL_PASSED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Note whether a test's call passed, for tmp_path's clean-up."""
    report = yield
    if report.when == "call":
        item.stash[CALL_PASSED] = report.passed
    return report


@pytest.fixture
def tmp_path(request, tmp_path_factory) -> Iterator[Path]:
    """pytest's tmp_path, whose folder a passing test leaves to `discard` rather than deleting it itself.

    With tmp_path_retention_policy = failed (pytest.ini) pytest deletes a passing test's folder, file by
    file in Python, before the next test starts: for a test that made a virtual environment (CI jobs,
    make setup) that was up to half a minute of the suite. A failing test's folder is kept, as pytest keeps it.
    """
    path = tmp_path_factory.mktemp(re.sub(r"\W", "_", request.node.name)[:30], numbered=True)
    yield path
    if (request.node.stash.get(CALL_PASSED, False) and path.is_dir() and not request.config.option.basetemp
            and request.config.getini("tmp_path_retention_policy") == "failed"):
        discard(path)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session, exitstatus):
    """After a passing run, delete the session's temporary projects in the background.

    With tmp_path_retention_policy = failed (pytest.ini), pytest itself would delete them, file by
    file in Python, before exiting: several GB of virtual environments, minutes on a busy machine.
    Here the folder is renamed (instant) to a `garbage-*` name, which the next session's pytest
    removes if this `rm -rf` was cut short, and a detached `rm -rf` deletes it while pytest exits.
    A failed run keeps its folders. Without the attributes relied on here pytest deletes as usual.
    """
    factory = getattr(session.config, "_tmp_path_factory", None)
    basetemp = getattr(factory, "_basetemp", None)
    if (exitstatus != 0 or not isinstance(basetemp, Path) or not basetemp.is_dir() or session.config.option.basetemp
            or session.config.getini("tmp_path_retention_policy") != "failed"):
        return
    trash = basetemp.with_name(f"garbage-{uuid.uuid4()}")
    basetemp.rename(trash)
    subprocess.Popen(["rm", "-rf", "--", str(trash)], start_new_session=True, stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
