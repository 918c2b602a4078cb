"""core/hardware.py: the CPUs a stage may use, read from cgroup files laid out as Linux lays them out."""

import os

import pytest

from {{ cookiecutter.module_name }}.core.hardware import cgroup_cpu_quota, prefer_passive_waiting, usable_cpus


def write(path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def v2(tmp_path):
    """A cgroup v2 mount with the process in /ci.slice/job; returns (root, /proc/self/cgroup)."""
    root = tmp_path / "cgroup"
    (root / "ci.slice/job").mkdir(parents=True)
    return root, write(tmp_path / "self_cgroup", "0::/ci.slice/job\n")


@pytest.fixture
def v1(tmp_path):
    """A cgroup v1 layout (cpu,cpuacct hierarchy) with the process in /docker/abc."""
    root = tmp_path / "cgroup"
    (root / "cpu,cpuacct/docker/abc").mkdir(parents=True)
    self_cgroup = write(tmp_path / "self_cgroup", "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/\n")
    return root, self_cgroup


def test_v2_quota_is_quota_over_period(v2):
    root, self_cgroup = v2
    write(root / "ci.slice/job/cpu.max", "150000 100000\n")
    assert cgroup_cpu_quota(root, self_cgroup) == 1.5
    assert usable_cpus(root, self_cgroup) == min(2, len(os.sched_getaffinity(0)))  # 1.5 CPUs: 2 threads


def test_v2_max_means_no_quota(v2):
    root, self_cgroup = v2
    write(root / "ci.slice/job/cpu.max", "max 100000\n")
    assert cgroup_cpu_quota(root, self_cgroup) is None
    assert usable_cpus(root, self_cgroup) == len(os.sched_getaffinity(0))


def test_v2_a_parent_cgroup_limit_applies_and_the_tightest_wins(v2):
    root, self_cgroup = v2
    write(root / "ci.slice/job/cpu.max", "max 100000\n")
    write(root / "ci.slice/cpu.max", "100000 100000\n")
    assert cgroup_cpu_quota(root, self_cgroup) == 1.0
    assert usable_cpus(root, self_cgroup) == 1


def test_v2_in_a_container_the_mount_root_is_the_own_cgroup(tmp_path):
    # The process's path (/ci.slice/job) does not exist inside the container's mount.
    root = tmp_path / "cgroup"
    write(root / "cpu.max", "50000 100000\n")
    self_cgroup = write(tmp_path / "self_cgroup", "0::/ci.slice/job\n")
    assert cgroup_cpu_quota(root, self_cgroup) == 0.5
    assert usable_cpus(root, self_cgroup) == 1  # never fewer than one thread


def test_v1_quota_from_cfs_files(v1):
    root, self_cgroup = v1
    write(root / "cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "300000\n")
    write(root / "cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000\n")
    assert cgroup_cpu_quota(root, self_cgroup) == 3.0


def test_v1_minus_one_means_no_quota(v1):
    root, self_cgroup = v1
    write(root / "cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "-1\n")
    write(root / "cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000\n")
    assert cgroup_cpu_quota(root, self_cgroup) is None


def test_no_cgroup_files_means_no_quota(tmp_path):
    assert cgroup_cpu_quota(tmp_path / "none", tmp_path / "no_self_cgroup") is None
    assert usable_cpus(tmp_path / "none", tmp_path / "no_self_cgroup") == len(os.sched_getaffinity(0))


def test_passive_waiting_is_the_default_but_a_users_choice_stays(monkeypatch):
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    prefer_passive_waiting()
    assert os.environ["OMP_WAIT_POLICY"] == "passive"
    monkeypatch.setenv("OMP_WAIT_POLICY", "active")
    prefer_passive_waiting()
    assert os.environ["OMP_WAIT_POLICY"] == "active"
