"""The request log: one JSON line per answered request (time, model version, its rows, the answer),
appended to a file that is rotated once past serve.log_max_mb (the older part kept as <file>.1),
or written to standard output ("-", for a container whose platform collects it).

Several server processes may share one file: each line is written under an exclusive lock (the
file <log>.lock), so lines never interleave and a rotation happens once. make monitor reads it.
"""

import fcntl
import json
import os
import sys
import threading
import time
from pathlib import Path


class RequestLog:
    def __init__(self, target: str, max_bytes: int):
        self.target, self.max_bytes = target, max_bytes
        self.lock = threading.Lock()
        if target not in ("", "-"):
            Path(target).parent.mkdir(parents=True, exist_ok=True)

    def append(self, version: str, rows: list[dict], answer: dict) -> None:
        if not self.target:
            return
        line = json.dumps({"time": round(time.time(), 3), "version": version, "rows": rows, **answer}) + "\n"
        with self.lock:
            if self.target == "-":
                sys.stdout.write(line)
                sys.stdout.flush()
                return
            path = Path(self.target)
            with open(f"{path}.lock", "a") as guard:
                fcntl.flock(guard, fcntl.LOCK_EX)
                if path.exists() and path.stat().st_size + len(line) > self.max_bytes:
                    os.replace(path, f"{path}.1")
                with open(path, "a", encoding="utf-8") as file:
                    file.write(line)


def read_log(path: Path) -> list[dict]:
    """A log's entries, oldest first: the rotated part (<log>.1), if any, then the log itself."""
    entries = []
    for part in (Path(f"{path}.1"), Path(path)):
        if part.exists():
            with open(part, encoding="utf-8") as file:
                entries += [json.loads(line) for line in file if line.strip()]
    return entries
