"""How much compute a stage may use: the CPUs this process may really run on.

A machine's core count is not what a process gets: a container or CI runner is often held to
a share of it by a cgroup CPU quota, and a process may be pinned to some cores (affinity).
OpenMP libraries (xgboost) start one busy thread per core they see; on a shared or throttled
runner those threads spin while waiting for each other, and a fit that takes a second can
take half a minute. So the stages ask here how many threads to use, and OpenMP threads wait
passively (they sleep rather than spin) unless you set OMP_WAIT_POLICY yourself.

It also opens the compute engine each stage runs on (`compute:` in params.yaml): `engine()`
yields None for the local engine (pandas in this process, as always) or a Dask client for
`engine: dask`, connected to the scheduler that DASK_SCHEDULER_ADDRESS or compute.scheduler
names, or to a LocalCluster sized to this machine that it starts and closes itself.
The stages' Dask code lives in dask_engine.py.

Standard library only at import: the package imports it before numpy, scikit-learn or xgboost
load (Dask is imported only when the dask engine is opened).
"""

import logging
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CGROUP_ROOT = Path("/sys/fs/cgroup")
SELF_CGROUP = Path("/proc/self/cgroup")


def prefer_passive_waiting() -> None:
    """OMP_WAIT_POLICY=passive unless already set; effective only before OpenMP loads."""
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")


def usable_cpus(root: Path = CGROUP_ROOT, self_cgroup: Path = SELF_CGROUP) -> int:
    """The CPUs this process may use: its affinity, capped by any cgroup CPU quota (at least 1)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    quota = cgroup_cpu_quota(root, self_cgroup)
    if quota is not None:
        cpus = min(cpus, math.ceil(quota))
    return max(cpus, 1)


def cgroup_cpu_quota(root: Path = CGROUP_ROOT, self_cgroup: Path = SELF_CGROUP) -> float | None:
    """CPUs' worth of time the cgroup quota allows (e.g. 1.5), or None when there is no quota.

    Reads cgroup v2 (cpu.max: "<quota> <period>" or "max <period>") or v1 (cpu.cfs_quota_us,
    -1 for none, and cpu.cfs_period_us), in this process's cgroup and every cgroup above it:
    the tightest limit wins. Inside a container the cgroup path may not exist under the mount
    (the container sees its own cgroup as the root), so the root counts too.
    """
    try:
        lines = self_cgroup.read_text().splitlines()
    except OSError:
        return None
    limits: list[float | None] = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":  # cgroup v2: one unified hierarchy
            limits += [_v2_quota(folder / "cpu.max") for folder in _folders(root, path)]
        elif "cpu" in controllers.split(","):  # cgroup v1: the cpu controller's own hierarchy
            for mount in (root / controllers, root / "cpu", root / "cpu,cpuacct"):
                if mount.is_dir():
                    limits += [_v1_quota(folder) for folder in _folders(mount, path)]
                    break
    found = [limit for limit in limits if limit is not None]
    return min(found) if found else None


def _folders(mount: Path, path: str) -> list[Path]:
    """The cgroup folder of `path` under `mount`, and each parent up to the mount itself."""
    folder = mount / path.strip("/")
    folders = [folder, *folder.parents]
    return [candidate for candidate in folders if candidate.is_relative_to(mount)]


def _v2_quota(cpu_max: Path) -> float | None:
    try:
        quota, period = cpu_max.read_text().split()[:2]
    except (OSError, ValueError):
        return None
    return None if quota == "max" else int(quota) / int(period)


def _v1_quota(folder: Path) -> float | None:
    try:
        quota = int((folder / "cpu.cfs_quota_us").read_text())
        period = int((folder / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return None if quota <= 0 or period <= 0 else quota / period


# --- The compute engine --------------------------------------------------------------------
ENGINES = ("local", "dask")
SCHEDULER_VARIABLE = "DASK_SCHEDULER_ADDRESS"  # Dask's own convention; wins over compute.scheduler
DEFAULT_COMPUTE = {"engine": "local", "scheduler": "", "connect_timeout": 30}


def compute_settings(params: dict) -> dict:
    """`compute:` of params.yaml, checked, with DASK_SCHEDULER_ADDRESS applied over compute.scheduler."""
    from .common import PipelineError

    given = params.get("compute") or {}
    settings = {key: given.get(key, default) for key, default in DEFAULT_COMPUTE.items()}
    if settings["engine"] not in ENGINES:
        raise PipelineError(f"params.yaml: compute.engine is {settings['engine']!r}; choose local or dask")
    settings["scheduler"] = os.environ.get(SCHEDULER_VARIABLE) or str(settings["scheduler"] or "")
    timeout = settings["connect_timeout"]
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise PipelineError(f"params.yaml: compute.connect_timeout is {timeout!r}; give seconds, e.g. 30")
    return settings


@contextmanager
def engine(params: dict) -> Iterator[Any]:
    """None for compute.engine: local; for dask, a distributed.Client, closed (with any
    LocalCluster it started) when the block ends."""
    settings = compute_settings(params)
    if settings["engine"] == "local":
        yield None
        return
    from distributed import Client, LocalCluster

    _quiet_dask_logs()
    if settings["scheduler"]:
        client = _connect(Client, settings)
        try:
            yield client
        finally:
            client.close()
        return
    # One single-threaded worker process per usable CPU: pandas work holds the GIL, so processes
    # (not threads) keep every CPU busy; train's xgboost runs one share of the rows per worker.
    with (
        LocalCluster(
            n_workers=usable_cpus(),
            threads_per_worker=1,
            dashboard_address=None,  # the dashboard needs bokeh, which the project does not install
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def _connect(client_class, settings: dict):
    from .common import PipelineError

    address = settings["scheduler"]
    named = SCHEDULER_VARIABLE if os.environ.get(SCHEDULER_VARIABLE) else "params.yaml: compute.scheduler"
    try:
        return client_class(address, timeout=settings["connect_timeout"])
    except (OSError, TimeoutError, ValueError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise PipelineError(
            f"{named}: cannot reach the Dask scheduler at {address!r} within {settings['connect_timeout']}s "
            f"({reason}); start it, fix the address, or leave both {SCHEDULER_VARIABLE} and compute.scheduler "
            "empty for a local cluster"
        ) from None


def _quiet_dask_logs() -> None:
    """Only distributed's errors reach a stage's output, not its startup and shutdown chatter."""
    for name in ("distributed", "distributed.client", "distributed.scheduler", "distributed.worker"):
        logging.getLogger(name).setLevel(logging.ERROR)
