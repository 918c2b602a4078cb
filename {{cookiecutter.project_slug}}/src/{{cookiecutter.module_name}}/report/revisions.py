"""This branch's results and the base branch's copies of them: read with git (`git show`), never
downloaded; and the dvc commands the sections quote."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from ..core.files import read_json


def git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], capture_output=True, check=False)


def resolve_base(base: str) -> str | None:
    """The revision to compare with: the remote's copy of `base` when there is one (that is what
    the pull request is compared with), else `base` itself; None when neither exists."""
    for candidate in (f"origin/{base}", base):
        if git("rev-parse", "--verify", "--quiet", candidate + "^{commit}").returncode == 0:
            return candidate
    return None


def base_file(rev: str | None, path: Path) -> bytes | None:
    """The content of `path` in revision `rev`, or None when the revision lacks it."""
    if rev is None:
        return None
    result = git("show", f"{rev}:{path.as_posix()}")
    return result.stdout if result.returncode == 0 else None


def base_json(rev: str | None, path: Path) -> dict | None:
    content = base_file(rev, path)
    return json.loads(content) if content is not None else None


def base_csv(rev: str | None, path: Path) -> pd.DataFrame | None:
    content = base_file(rev, path)
    return pd.read_csv(io.BytesIO(content)) if content is not None else None


def local_json(path: Path) -> dict | None:
    return read_json(path) if path.exists() else None


def dvc(*args: str) -> tuple[bool, str]:
    """Run a dvc command of this environment; (succeeded, output or error text)."""
    result = subprocess.run([sys.executable, "-m", "dvc", *args], capture_output=True, text=True, check=False)
    return result.returncode == 0, (result.stdout if result.returncode == 0 else result.stderr).strip()


def short_sha(rev: str) -> str:
    result = git("rev-parse", "--short", rev)
    return result.stdout.decode().strip() if result.returncode == 0 else "?"


def same_commit(rev: str, other: str) -> bool:
    return git("rev-parse", rev + "^{commit}").stdout == git("rev-parse", other + "^{commit}").stdout


def workspace_changed() -> bool:
    """Whether tracked files differ from HEAD (pipeline results included: metrics.json is tracked)."""
    return bool(git("status", "--porcelain", "--untracked-files=no").stdout.strip())


def current_branch() -> str:
    for variable in ("GITHUB_HEAD_REF", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "CI_COMMIT_REF_NAME", "GITHUB_REF_NAME"):
        if os.environ.get(variable):
            return os.environ[variable]
    name = git("rev-parse", "--abbrev-ref", "HEAD").stdout.decode().strip()
    return name if name and name != "HEAD" else "this commit"
