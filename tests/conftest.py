"""Fixtures shared by the template's tests: bake a project, run commands in it; the suite's tiers.

Baking is cheap (well under a second), so tests bake their own project into a temporary
directory. Installing the pinned stack is not (a minute, most of it bytecode compilation): it is
built once per requirements.lock and kept between sessions (`stack_venv`, for make lint and the
generated unit tests), and a project whose installation is not what a test is about gets its
.venv seeded from it (`seed_venv`) before its own `make setup`. Tests that need a set-up project
share `ready_project`, set up once per session, and copies of it.

Tiers (pytest.ini registers them; `make test-fast` runs the first): each test is marked from the
fixtures it uses (TIER_FIXTURES), or by an explicit mark where the costly part is no fixture:
  fast     bakes, hooks, checkers, lint and the generated unit tests (at most `stack_venv`);
  project  needs a set-up project (`ready_project` and everything derived from it);
  e2e      runs a real outside component: moto S3, act, gitlab-ci-local, the real CML, a Dask cluster, cruft,
           a served model's HTTP server.
A session runs them in that order, and stops after the fast tier if that failed; `make test` runs
the fast tier first on its own, then the two slower tiers in two lanes on two workers (--lanes).
"""

import fcntl
import hashlib
import itertools
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
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
# Nor does a user's shell or a CI runner set PYTHONDONTWRITEBYTECODE (some containers do, this
# machine's among them). With it, a CI job's fresh .venv (make setup skips compiling the whole stack
# when CI=true) has every Python process compile each module it imports, dvc's, pandas' and
# xgboost's, from source: the pipeline of one act run took twice the CPU time.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


def normalised(name: str) -> str:
    """A package name as the lock writes it (PEP 503: ruamel.yaml.clib is ruamel-yaml-clib)."""
    return re.sub(r"[-_.]+", "-", name).lower()


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


# --- Work started early, in the background -----------------------------------------------
class Background:
    """A command started when the session starts, for a fixture that needs its result later.

    A build is mostly one process (downloads, bytecode compilation) while the tests run in pytest's:
    on two cores, starting the pinned stack's first build, or pip's whole `make setup`, as soon as
    the tests that need it are known hides most of it behind other tests. Output goes to files,
    read by `wait`.
    """

    def __init__(self, name: str, command: list[str], cwd: Path, logs: Path, env: dict | None = None,
                 pass_fds: tuple[int, ...] = ()):
        self.command, self.cwd = command, cwd
        self.logs = logs / f"{name}.stdout", logs / f"{name}.stderr"
        with open(self.logs[0], "w") as stdout, open(self.logs[1], "w") as stderr:
            self.process = subprocess.Popen(command, cwd=cwd, env={**os.environ, **(env or {})}, stdout=stdout,
                                            stderr=stderr, stdin=subprocess.DEVNULL, start_new_session=True,
                                            pass_fds=pass_fds)

    def wait(self) -> subprocess.CompletedProcess:
        """The finished command's result; the test fails, showing its output, if it failed."""
        returncode = self.process.wait()
        result = subprocess.CompletedProcess(self.command, returncode, *(log.read_text() for log in self.logs))
        if returncode != 0:
            pytest.fail(f"{self.command} exited {returncode} in {self.cwd}\n--- stdout\n{result.stdout}"
                        f"\n--- stderr\n{result.stderr}")
        return result

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait()


# --- The pinned stack, installed once per requirements.lock --------------------------------
# Kept between sessions (and clones of the template), beside the suite's other caches: a fresh
# clone's suite finds it ready. Deleting a stack-* folder is always safe (the next session rebuilds it).
TEST_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cookiecutter-cd4ml"
STACK_VENVS_KEPT = 3  # the newest few: other clones (branches) may pin other locks


def tool_path() -> str:
    """PATH with the test environment's tools (uv) first."""
    return f"{Path(sys.executable).parent}:{os.environ['PATH']}"


def stack_key(lock: Path, python: str) -> str:
    """What the stack's environment depends on: the lock's bytes and the interpreter's version."""
    version = subprocess.run([python, "-c", "import sys; print(sys.version)"], capture_output=True, text=True,
                             check=True).stdout
    return hashlib.sha256(lock.read_bytes() + version.encode()).hexdigest()[:16]


_stack: dict = {}  # this process's stack: its path, its open lock files, a build under way

# Two file locks per stack. `<stack>.lock`: every process that uses the stack holds it shared until
# it exits; pruning deletes only a stack whose lock it can take exclusively at once. `<stack>.build.lock`:
# held exclusively while a process checks whether the stack is built and starts its build, and then
# by the build itself (its processes inherit the lock's descriptor) until it ends: two sessions (or
# two pytest-xdist workers) never build it twice, and one that needs it waits exactly as long as the
# build runs, not until the process that started it first needs the stack too (that had a worker
# wait a minute for a stack long built).


def start_stack_build() -> None:
    """Take the pinned stack's shared lock and, if it is not built yet, start building it in the background.

    Called as soon as the tests that need the stack are known (pytest_runtestloop), so the build (a
    minute or two the first time a lock is seen, most of it bytecode compilation) runs while other
    tests do; else by pinned_stack when first needed.
    """
    if _stack:
        return
    lock = TEMPLATE / "{{cookiecutter.project_slug}}" / "requirements.lock"
    python = shutil.which(f"python{DEFAULTS['python_version'][0]}") or shutil.which("python3") or sys.executable
    venv = TEST_CACHE / f"stack-{stack_key(lock, python)}"
    TEST_CACHE.mkdir(parents=True, exist_ok=True)
    using = open(TEST_CACHE / f"{venv.name}.lock", "w")  # noqa: SIM115 - held until this process exits
    fcntl.flock(using, fcntl.LOCK_SH)  # waits only while a pruning session deletes this stack
    _stack.update(venv=venv, using=using, lock=lock, python=python)
    start_build_unless_built()


def start_build_unless_built() -> None:
    """Wait while another process's build of the stack runs; start one here if the stack is still not built."""
    venv, python = _stack["venv"], _stack["python"]
    with open(TEST_CACHE / f"{venv.name}.build.lock", "w") as building:
        fcntl.flock(building, fcntl.LOCK_EX)
        if (venv / ".complete").exists():
            return
        shutil.rmtree(venv, ignore_errors=True)  # what a build cut short left
        python_of = f"--python {shlex.quote(python)}"
        # relocatable: its console scripts find their python beside them, in a seed_venv copy too
        build = (f"uv venv --quiet --relocatable {python_of} {shlex.quote(str(venv))} && uv pip sync --quiet "
                 f"--compile-bytecode --python {shlex.quote(str(venv / 'bin/python'))} "
                 f"{shlex.quote(str(_stack['lock']))} && echo 'built by the template tests (tests/conftest.py)' "
                 f"> {shlex.quote(str(venv / '.complete'))}")
        _stack["build"] = Background(f"{venv.name}-build", ["bash", "-c", build], cwd=TEST_CACHE, logs=TEST_CACHE,
                                     env={"PATH": tool_path()}, pass_fds=(building.fileno(),))


def pinned_stack() -> Path:
    """A virtual environment with the generated project's pinned packages (requirements.lock), not
    the project itself: the tools of `make lint`, what the generated unit tests import (the package
    read from a baked project's src/ by PYTHONPATH), and the packages `seed_venv` gives a project.

    Built with uv as `make setup` builds a project's .venv, the first time a lock is seen, then
    reused by every later session (see the two locks above).
    """
    start_stack_build()
    venv = _stack["venv"]
    if not _stack.get("ready"):
        if "build" not in _stack:
            start_build_unless_built()  # another process's build may be running: wait for it
        if "build" in _stack:
            _stack.pop("build").wait()
        os.utime(venv / ".complete")  # the stacks not used for longest are pruned first
        prune_stack_venvs(keep=venv)
        _stack["ready"] = True
    return venv


@pytest.fixture(scope="session")
def stack_venv() -> Path:
    """The pinned stack's virtual environment (pinned_stack)."""
    return pinned_stack()


def seed_venv(project: Path, stack: Path) -> None:
    """Give a baked project a .venv that already holds the pinned stack, before its `make setup`.

    Setup then runs as ever (uv venv, uv pip sync, the project's editable install, the DVC remote,
    the git hooks, the sample data), but its sync finds every package installed and compiled: a few
    seconds instead of a minute of bytecode compilation. Setups from scratch stay where installing
    is what is tested: every CI job's (uv), test_setup_works_with_pip_alone's (pip). The packages' files
    are hard links to the stack's (read, never written in place); bin/ and pyvenv.cfg, which
    `uv venv` and the editable install rewrite, are copies.
    """
    venv = project / ".venv"
    subprocess.run(["cp", "-al", str(stack), str(venv)], check=True)
    shutil.rmtree(venv / "bin")
    (venv / "pyvenv.cfg").unlink()
    (venv / ".complete").unlink()
    subprocess.run(["cp", "-a", str(stack / "bin"), str(stack / "pyvenv.cfg"), str(venv)], check=True)


def mypy_cache_of(stack: Path) -> Path:
    """A mypy cache (MYPY_CACHE_DIR) kept with the stack, for the `make lint` of every session.

    mypy checks again every file whose content differs from what its cache recorded (and what
    depends on it), so a warm cache finds the errors a cold one finds; what it saves is the
    analysis of the unchanged files and of the stack's libraries. test_lint checks that an
    error is still found with it.
    """
    return TEST_CACHE / f"mypy-{stack.name.removeprefix('stack-')}"


def prune_stack_venvs(keep: Path) -> None:
    """Delete all but the STACK_VENVS_KEPT most recently used stacks, except those a session holds."""
    def last_used(path: Path) -> float:
        return (path / ".complete").stat().st_mtime if (path / ".complete").exists() else 0

    stacks = sorted((path for path in TEST_CACHE.glob("stack-*") if path.is_dir() and path != keep), key=last_used)
    for old in stacks[:max(0, len(stacks) - (STACK_VENVS_KEPT - 1))]:
        with open(TEST_CACHE / f"{old.name}.lock", "w") as guard:
            try:
                fcntl.flock(guard, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # in use by another session
            shutil.rmtree(old, ignore_errors=True)
            shutil.rmtree(mypy_cache_of(old), ignore_errors=True)


# --- Set-ups started when the session starts ----------------------------------------------
# The default bake and its setup, as a user runs them; the bake in the background too, so that its
# hooks' messages do not land in pytest's output before the first test. (argv: folder, make's arguments)
BAKE_AND_SET_UP = ('"$0" -m cookiecutter --no-input --output-dir "$1" "$2" >/dev/null && cd "$1"/*/ '
                   '&& shift 2 && make "$@"')


def start_default_setup(factory, name: str, *make_arguments: str) -> Background:
    folder = factory.mktemp(name)
    return Background("setup", ["bash", "-c", BAKE_AND_SET_UP, sys.executable, str(folder), str(TEMPLATE), "setup",
                                *make_arguments], cwd=folder, logs=folder)


def start_pip_setup(factory) -> Background:
    return start_default_setup(factory, "pip-alone", "UV=")  # UV empty: the Makefile's branch without uv


# fixture name -> how to start its set-up. Started as soon as the tests that need it are known
# (pytest_runtestloop, or under pytest-xdist the first test of their lane), else when first needed.
BACKGROUND_SETUPS = {"pip_set_up_project": start_pip_setup}
STARTED = pytest.StashKey[dict[str, Background]]()
# Fixtures that use the pinned stack (published: tools/ci_project.py seeds its working copy's .venv).
STACK_FIXTURES = {"stack_venv", "published"}


def background_setup(request, name: str) -> Background:
    started = request.config.stash.setdefault(STARTED, {})
    if name not in started:
        started[name] = BACKGROUND_SETUPS[name](request.config._tmp_path_factory)
    return started[name]


def start_background_work(session, items) -> None:
    """Start what `items` will need: the pinned stack's build, the set-ups of BACKGROUND_SETUPS."""
    used = {name for item in items for name in getattr(item, "fixturenames", ())}
    if used & STACK_FIXTURES:
        start_stack_build()
    started = session.config.stash.setdefault(STARTED, {})
    for name in BACKGROUND_SETUPS:
        if name in used and name not in started:
            started[name] = BACKGROUND_SETUPS[name](session.config._tmp_path_factory)


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session):
    """Start the background work that the selected tests need, then run the tests; stop what is
    still running at the end (when the fast tier failed, say). A pytest-xdist worker learns which
    tests it runs only as they come: it starts a lane's background work at that lane's first test."""
    if not session.config.option.collectonly and not is_xdist_worker(session.config):
        start_background_work(session, session.items)
    try:
        return (yield)
    finally:
        for job in [*session.config.stash.get(STARTED, {}).values(), *filter(None, [_stack.get("build")])]:
            job.stop()


# --- A project that is set up for real, shared by the slow tests --------------------------
@pytest.fixture(scope="session")
def ready_project(tmp_path_factory, stack_venv) -> Path:
    """The default bake after its `make setup` (venv, pinned packages, DVC remote, git hooks, sample data).

    Every step of setup runs for real, in a .venv seeded with the pinned stack (seed_venv): uv pip
    sync checks the packages against requirements.lock and finds them installed and compiled. The
    installation from scratch (uv, the same Makefile lines) is what every CI job of test_ci_github
    and test_ci_gitlab runs first; pip's, test_setup_works_with_pip_alone.
    """
    project = bake(tmp_path_factory.mktemp("ready"))
    seed_venv(project, stack_venv)
    run(["make", "setup"], cwd=project)
    return project


@pytest.fixture(scope="session")
def pip_set_up_project(request) -> tuple[Path, subprocess.CompletedProcess]:
    """(project, output of its `make setup` with pip alone): the default bake, set up with UV empty
    (the Makefile's branch for a machine without uv), started in the background when the session starts."""
    setup = background_setup(request, "pip_set_up_project")
    result = setup.wait()
    return baked_in(setup.cwd), result


def baked_in(folder: Path) -> Path:
    """The one project baked into `folder`."""
    [project] = [path for path in folder.iterdir() if path.is_dir()]
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
    chosen_basetemp = request.config.option.basetemp and not is_xdist_worker(request.config)  # xdist sets the workers'
    if (request.node.stash.get(CALL_PASSED, False) and path.is_dir() and not chosen_basetemp
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


# --- Tiers --------------------------------------------------------------------------------
TIERS = ["fast", "project", "e2e"]  # cheapest first: the order the whole suite runs them in
# A test that uses one of these fixtures (directly or through another fixture) is at least in that tier.
TIER_FIXTURES = {
    "project": {"ready_project"},  # reproduced_project, project_copy and the rest derive from it
    # moto S3, a Dask cluster, act / gitlab-ci-local, the forge stand-in and the real CML, pip's whole set-up
    "e2e": {"s3_server", "s3_iam_server", "cluster", "published", "forge", "real_cml", "pip_set_up_project"},
}
TIER = pytest.StashKey[str]()


def tier_of(item: pytest.Item) -> str:
    """The costliest of the item's explicit tier mark (for what no fixture shows: cruft, pip, a
    LocalCluster) and the tiers of the fixtures it uses."""
    used = set(getattr(item, "fixturenames", ()))
    tiers = {tier for tier, fixtures in TIER_FIXTURES.items() if used & fixtures}
    tiers |= {mark.name for mark in item.iter_markers() if mark.name in TIERS}
    return max(tiers | {"fast"}, key=TIERS.index)


# --- Lanes: the slow tiers on two cores (`make test` runs them with pytest-xdist, -n 2 --lanes) ---
# The CI tests (act, gitlab-ci-local, the serving image's CI jobs) share the published project,
# which they build from the pinned stack; every other slow test shares the session's set-up project.
# Two lanes of about equal time (make test's durations on this 2-core machine): the CI tests (about
# 400 s) with the bench, the Dask-on-S3 and the remote round-trip tests (about 220 s, for a set-up
# project built once more in that lane), and the rest (about 620 s). With --lanes, pytest-xdist gives
# each lane a worker of its own (LaneScheduling), so the two run side by side, each lane builds its
# shared projects once, and each worker starts its lane's background set-ups at the lane's first test.
# (pytest-xdist's own --dist loadgroup would do, but it marks groups by rewriting node ids in a way
# pytest 9 no longer reads.)
CI_LANE_FILES = {"test_ci_github.py", "test_ci_gitlab.py", "test_ci_image.py", "test_bench.py", "test_dask_storage.py",
                 "test_remote.py"}


def lane_of_file(name: str) -> str:
    return "ci" if name in CI_LANE_FILES else "main"


def pytest_addoption(parser):
    parser.addoption("--lanes", action="store_true",
                     help="with pytest-xdist (-n 2): run the CI tests' lane and the other tests' lane on a worker each")


def pytest_xdist_make_scheduler(config, log):
    """With --lanes: pytest-xdist's scope scheduling, one scope per lane, so each goes whole to one worker."""
    if not config.getoption("lanes"):
        return None
    from xdist.scheduler import LoadScopeScheduling

    class LaneScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return lane_of_file(nodeid.split("::")[0].rsplit("/", 1)[-1])

    return LaneScheduling(config, log)


def is_xdist_worker(config) -> bool:
    return hasattr(config, "workerinput")


@pytest.hookimpl(tryfirst=True)  # before `-m` selects by these marks
def pytest_collection_modifyitems(config, items):
    """Mark each test with its tier, and run the cheapest tiers first (stable: files keep their order).

    In the fast tier the files with a test that needs the pinned stack come last: its first build
    (started with the first test, a minute of CPU on a fresh machine) then runs beside the bakes and
    hooks instead of holding a worker that waits for it (35 s of the fast tier, measured)."""
    for item in items:
        tier = tier_of(item)
        if not item.get_closest_marker(tier):
            item.add_marker(tier)
        item.stash[TIER] = tier
    needs_stack = {item.path for item in items
                   if item.stash[TIER] == "fast" and set(getattr(item, "fixturenames", ())) & STACK_FIXTURES}
    items.sort(key=lambda item: (TIERS.index(item.stash[TIER]), item.stash[TIER] == "fast" and item.path in needs_stack))


LANES_STARTED = pytest.StashKey[set[str]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Under pytest-xdist, start the background work at a worker's first test (see pytest_runtestloop):
    with --lanes, each lane's on its worker; without, all of it on the first worker.
    After the last fast test, stop if any test failed: a broken bake is reported in minutes, not
    after the end-to-end runs (`pytest -m "project or e2e"` runs the rest regardless)."""
    lanes = item.config.stash.setdefault(LANES_STARTED, set())
    by_lane = item.config.getoption("lanes")
    lane = lane_of_file(item.path.name) if by_lane else "all"
    if is_xdist_worker(item.config) and lane not in lanes:
        lanes.add(lane)
        if by_lane:
            start_background_work(item.session, [other for other in item.session.items
                                                 if lane_of_file(other.path.name) == lane])
        elif item.config.workerinput.get("workerid") == "gw0":
            # Without lanes (make test-fast: -n auto --dist loadfile) the first worker starts the
            # shared set-ups (the pinned stack's build); another worker that needs one waits for it there.
            start_background_work(item.session, item.session.items)
    result = yield
    if (nextitem is not None and item.stash.get(TIER, "") == "fast" and nextitem.stash.get(TIER, "") != "fast"
            and item.session.testsfailed):
        item.session.shouldstop = (f"{item.session.testsfailed} fast-tier test(s) failed: the project and "
                                   "end-to-end tiers were not run")
    return result



_tier_times: dict[str, list] = {}  # tier -> [first test's start, last test's end, tests]: in the process that reports
_lane_seconds: dict[str, float] = {}  # lane -> its tests' time (setup, call and teardown)


def pytest_runtest_logreport(report):
    """Note each tier's time span, and each lane's time, from the test reports (under pytest-xdist, in
    the controller)."""
    if report.when in ("setup", "call", "teardown"):
        lane = lane_of_file(report.nodeid.split("::")[0].rsplit("/", 1)[-1])
        _lane_seconds[lane] = _lane_seconds.get(lane, 0.0) + report.duration
    tier = next((tier for tier in TIERS if tier in report.keywords), None)
    if tier and report.when in ("setup", "call", "teardown"):
        times = _tier_times.setdefault(tier, [report.start, report.stop, 0])
        times[:2] = [min(times[0], report.start), max(times[1], report.stop)]
        times[2] += report.when == "call" or (report.when == "setup" and not report.passed)


def pytest_terminal_summary(terminalreporter):
    """One line: how long each tier took, from its first test's start to its last test's end; with
    --lanes, one more: how long each lane's tests took (the lanes are evened from it)."""
    if _tier_times:
        terminalreporter.write_line("tiers: " + ", ".join(
            f"{tier} {tests} tests in {stop - start:.0f} s" for tier, (start, stop, tests) in _tier_times.items()))
    if terminalreporter.config.getoption("lanes") and _lane_seconds:
        terminalreporter.write_line("lanes: " + ", ".join(
            f"{lane} {seconds:.0f} s of tests" for lane, seconds in sorted(_lane_seconds.items())))
