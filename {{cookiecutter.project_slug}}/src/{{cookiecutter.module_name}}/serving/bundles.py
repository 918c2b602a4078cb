"""Which bundle serving uses: the workspace's (models/bundle/, what make repro last built), or a
released one, by version or by the stage it is in, fetched with `dvc artifacts get` into
.serving/<artifact>@<version>/ (git-ignored; a version never changes, so it is fetched once).

`make promote STAGE=prod VERSION=<older>` followed by `make serve STAGE=prod` therefore serves the
older version: the rollback is one promotion, and nothing is rebuilt.
"""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import PipelineError
from ..core.files import atomic_path
from ..core.paths import BUNDLE_DIR
from ..core.registry import model_artifact, version_in_stage
from ..scoring.bundle import MANIFEST

FETCHED_DIR = Path(".serving")
WORKSPACE = "workspace"  # the version label of the workspace's bundle, which no tag names


@dataclass(frozen=True)
class Release:
    """A bundle and what /metadata says about it: the artifact, its version (WORKSPACE for the
    workspace's), the stage it was asked for by, and the git commit it was built from."""

    folder: Path
    name: str
    version: str
    stage: str | None
    commit: str | None


def git(*arguments: str) -> str | None:
    result = subprocess.run(["git", *arguments], capture_output=True, text=True, check=False)
    return result.stdout.strip() if result.returncode == 0 else None


def fetch(name: str, version: str, folder: Path) -> None:
    """The bundle of `name`@`version` into `folder`, with `dvc artifacts get` from this repository."""
    dvc = Path(sys.executable).with_name("dvc")
    with atomic_path(folder, directory=True) as temporary:
        result = subprocess.run(
            [str(dvc), "artifacts", "get", ".", name, "--rev", version, "--out", str(temporary / "bundle"), "--force"],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            reason = (result.stderr.strip() or result.stdout.strip()).splitlines()
            raise PipelineError(
                f"dvc artifacts get {name} --rev {version} failed ({reason[-1] if reason else 'no output'}); is the "
                "version's bundle in the DVC remote (make push on its commit)?"
            )


def resolve(version: str | None = None, stage: str | None = None) -> Release:
    """The release that `make serve` / `make predict` asked for: VERSION, STAGE or neither (the workspace)."""
    if version and stage:
        raise PipelineError("give VERSION=... or STAGE=..., not both: a stage names a version")
    if not version and not stage:
        head = git("rev-parse", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
        commit = f"{head}-dirty" if head and dirty else head
        return Release(BUNDLE_DIR, model_artifact(), WORKSPACE, None, commit)
    name = model_artifact()
    if stage:
        version = version_in_stage(name, stage)
        if version is None:
            raise PipelineError(
                f"no version of {name} is in stage {stage!r}: make promote STAGE={stage} VERSION=v... assigns one "
                "(.venv/bin/gto show lists the versions and stages)"
            )
    assert version is not None
    if git("rev-parse", "--verify", "--quiet", f"refs/tags/{name}@{version}") is None:
        raise PipelineError(f"{name}@{version} is not a version of this repository: .venv/bin/gto show lists them")
    folder = FETCHED_DIR / f"{name}@{version}"
    if not (folder / "bundle" / MANIFEST).is_file():
        print(f"serving: fetching {name}@{version} (dvc artifacts get)", file=sys.stderr)
        fetch(name, version, folder)
    commit = git("rev-parse", f"refs/tags/{name}@{version}" + "^{commit}")  # the tagged commit, not the tag
    return Release(folder / "bundle", name, version, stage, commit)


# A server process (a uvicorn worker) learns its release from the environment, which the command
# that starts it sets: one way for one worker and for N, and for a container, whose image sets them.
ENVIRONMENT = {
    "folder": "MODEL_BUNDLE",
    "name": "MODEL_NAME",
    "version": "MODEL_VERSION",
    "stage": "MODEL_STAGE",
    "commit": "MODEL_COMMIT",
}


def to_environment(release: Release) -> dict[str, str]:
    values = {
        "folder": str(Path(release.folder).resolve()),
        "name": release.name,
        "version": release.version,
        "stage": release.stage or "",
        "commit": release.commit or "",
    }
    return {ENVIRONMENT[key]: value for key, value in values.items()}


def from_environment() -> Release:
    values = {key: os.environ.get(variable, "") for key, variable in ENVIRONMENT.items()}
    if not values["folder"]:
        raise PipelineError(f"{ENVIRONMENT['folder']} is not set: start the server with make serve")
    return Release(
        Path(values["folder"]),
        values["name"] or "model",
        values["version"] or WORKSPACE,
        values["stage"] or None,
        values["commit"] or None,
    )


def describe(release: Release) -> str:
    stage = f", stage {release.stage}" if release.stage else ""
    return f"{release.name}@{release.version}{stage} ({release.folder})"
