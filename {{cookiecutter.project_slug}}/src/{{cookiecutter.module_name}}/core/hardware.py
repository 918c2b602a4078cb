"""The machine a stage runs on: the CPUs this process may really use, and its GPU if it has one.

A machine's core count is not what a process gets: a container or CI runner is often held to
a share of it by a cgroup CPU quota, and a process may be pinned to some cores (affinity).
OpenMP libraries (xgboost) start one busy thread per core they see; on a shared or throttled
runner those threads spin while waiting for each other, and a fit that takes a second can
take half a minute. So the stages ask here how many threads to use, and OpenMP threads wait
passively (they sleep rather than spin) unless you set OMP_WAIT_POLICY yourself.

Standard library only: the package imports it before numpy, scikit-learn or xgboost load.
"""

import math
import os
import shutil
import subprocess
from pathlib import Path

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


def gpu_name() -> str | None:
    """The first NVIDIA GPU's name, if nvidia-smi can see one."""
    if shutil.which("nvidia-smi") is None:
        return None
    result = subprocess.run(
        ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True, text=True, check=False
    )
    names = result.stdout.strip().splitlines()
    return names[0].strip() if result.returncode == 0 and names else None
