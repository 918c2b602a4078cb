"""Run one command and measure its whole process tree: wall time, CPU seconds, peak memory.

Used by bench.py for the commands it starts, and as the `python` that `dvc repro` finds first
on PATH, so each stage's command is measured exactly as DVC runs it:

    python3 scripts/measure.py --log stages.jsonl -- /path/to/.venv/bin/python -m pkg.train

Standard library only (it runs with whatever python3 the machine has). Linux only: memory is
read from /proc.
  - wall_s: from start to exit;
  - cpu_s: user + system CPU of the command and every descendant it waited for (os.wait4);
  - peak_rss_mb: the largest sum of the resident memory of the command and its descendants,
    sampled every 50 ms (and never less than the largest single process's own peak).
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
SAMPLE_SECONDS = 0.05


class TreeMemory:
    """Samples the resident memory of a process and its descendants, cheaply enough to run
    20 times a second beside the work it measures: each process's parent is read once."""

    def __init__(self, root: int):
        self.root = root
        self.parents: dict[int, int] = {}

    def _refresh_parents(self) -> None:
        running = {int(name) for name in os.listdir("/proc") if name.isdigit()}
        for pid in self.parents.keys() - running:
            del self.parents[pid]
        for pid in running - self.parents.keys():
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:  # it ended while we looked
                continue
            self.parents[pid] = int(stat.rsplit(")", 1)[1].split()[1])

    def rss_bytes(self) -> int:
        """Resident memory of the root and all its descendants now, in bytes."""
        self._refresh_parents()
        children: dict[int, list[int]] = {}
        for pid, parent in self.parents.items():
            children.setdefault(parent, []).append(pid)
        total, pending = 0, [self.root]
        while pending:
            pid = pending.pop()
            pending.extend(children.get(pid, []))
            try:
                total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_BYTES
            except (OSError, IndexError):
                continue
        return total


def measure(command: list[str], **popen) -> dict:
    """Run `command` to its end; return its exit code and what it cost."""
    started = time.perf_counter()
    process = subprocess.Popen(command, **popen)
    peak, done, tree = 0, threading.Event(), TreeMemory(process.pid)

    def sample() -> None:
        nonlocal peak
        while not done.wait(SAMPLE_SECONDS):
            peak = max(peak, tree.rss_bytes())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    return {
        "returncode": process.returncode,
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(max(peak, usage.ru_maxrss * 1024) / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", type=Path, required=True, help="append one JSON line per command here")
    parser.add_argument("command", nargs="+")
    arguments = parser.parse_args()
    result = measure(arguments.command)
    with open(arguments.log, "a") as log:
        log.write(json.dumps({"command": arguments.command, **result}) + "\n")
    sys.exit(result["returncode"])


if __name__ == "__main__":
    main()
