"""Releases: the model of a commit becomes a numbered version, and a version gets a stage.

Not a DVC stage: it reads the pipeline's results and writes git tags with GTO (gto.readthedocs.io),
the model registry of DVC's ecosystem. A version is the git tag `model@v0.3.0` on the commit whose
dvc.lock points at the model; a stage is the tag `model#prod#1`. Any CI system, and `gto show`,
reads them; `dvc artifacts get` fetches the model of a tag from the DVC remote (see the README).

    python -m {{ cookiecutter.module_name }}.ops.release register [--bump minor] [--push] [--skip-unpinned]   # make release
    python -m {{ cookiecutter.module_name }}.ops.release promote --stage prod [--version v0.3.0] [--push]   # make promote
    python -m {{ cookiecutter.module_name }}.ops.release current   # this commit's version, if any (CI's image job)

A version is registered only when the gate passes (the same checks as `make gate`), only for a
committed, reproduced pipeline (dvc.lock pins the model, so the version can be fetched), and
once per commit: running it again says so and does nothing. CI passes --skip-unpinned: a push to
main without a reproduced dvc.lock is trained by CI but not released, with a notice, not a failure.
"""

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

from gto import api as gto
from gto.exceptions import ArtifactNotFound, GTOException

from ..core.errors import PipelineError, run
from ..core.files import read_json
from ..core.paths import DATA_PROFILE_FILE
from ..core.registry import model_artifact, version_in_stage
from ..evaluation.verdict import LOWER_IS_BETTER, current_verdict

BUMPS = ("major", "minor", "patch")
FIRST_VERSION = {"major": "v1.0.0", "minor": "v0.1.0", "patch": "v0.0.1"}


def git(*arguments: str) -> str:
    result = subprocess.run(["git", *arguments], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise PipelineError(f"git {' '.join(arguments)} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout.strip()


def check_committed() -> None:
    """A version names a commit: its files must be what the workspace holds."""
    changed = git("diff", "--name-only", "HEAD").splitlines()  # tracked files, staged or not
    if not changed:
        return
    experiment = applied_experiment()
    if experiment:
        raise PipelineError(
            f"the workspace holds the experiment {experiment!r} (make exp), which no commit holds yet: to release "
            f"it, commit it (git add --all && git commit -m 'Experiment {experiment}'), or review it on a branch "
            f"first (.venv/bin/dvc exp branch {experiment} <branch>), then make release on that commit"
        )
    more = f" and {len(changed) - 1} more" if len(changed) > 1 else ""
    raise PipelineError(
        f"uncommitted changes ({changed[0]}{more}): a release names a commit, so commit (or stash) them first"
    )


def applied_experiment() -> str | None:
    """The name of the experiment of this commit (`make exp`) whose results the workspace holds, if
    any: `dvc exp run` applies them to the workspace, and keeps each under refs/exps/<commit>/<name>."""
    head = git("rev-parse", "HEAD")
    prefix = f"refs/exps/{head[:2]}/{head[2:]}/"
    experiments = git("for-each-ref", "--format=%(refname)", prefix).splitlines()
    if not experiments or not Path("dvc.lock").is_file():
        return None
    workspace = git("hash-object", "dvc.lock")
    for ref in experiments:
        recorded = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{ref}:dvc.lock"], capture_output=True)
        if recorded.stdout.decode().strip() == workspace:
            return ref.removeprefix(prefix)
    return None


def unpinned_stages() -> list[str]:
    """The stages whose workspace differs from what dvc.lock records (`dvc status`); none means
    `dvc artifacts get` at this commit fetches the very model the gate checked."""
    dvc = Path(sys.executable).with_name("dvc")
    status = subprocess.run([str(dvc), "status", "--json"], capture_output=True, text=True, check=False)
    try:
        changed = json.loads(status.stdout or "null")
    except json.JSONDecodeError:
        changed = None
    if status.returncode != 0 or not isinstance(changed, dict):
        raise PipelineError(f"dvc status failed: {status.stderr.strip() or status.stdout.strip()}")
    return sorted(changed)


def version_at_head(name: str) -> str | None:
    """The version already registered on this commit, if any (its tag `name@vX.Y.Z`)."""
    pattern = re.compile(rf"{re.escape(name)}@(v\d+\.\d+\.\d+)")
    for tag in git("tag", "--points-at", "HEAD").splitlines():
        match = pattern.fullmatch(tag)
        if match:
            return match.group(1)
    return None


def release_message(name: str) -> str:
    """The tag's message: what the gate saw, so a version explains itself in `git show` and `gto show`."""
    verdict = current_verdict()
    if not verdict.passed:
        lines = "\n".join(f"  - {failure}" for failure in verdict.failures)
        raise PipelineError(f"the gate failed, so no version of {name} is registered:\n{lines}")
    relation = "<=" if verdict.metric in LOWER_IS_BETTER else ">="
    rows = read_json(DATA_PROFILE_FILE).get("rows", {})
    return (
        f"{verdict.metric} {verdict.value:.5f} {relation} baseline {verdict.baseline:.5f}; "
        f"data: {rows.get('total')} rows ({rows.get('train')} train, {rows.get('test')} test)"
    )


def latest_version(name: str) -> str | None:
    """The newest registered version of the model, e.g. v0.3.0; None before the first release."""
    try:
        latest = gto.find_latest_version(".", name)
    except ArtifactNotFound:
        return None
    return latest.version if latest is not None else None


def fetch_versions() -> None:
    """Origin's tags, before a release or promotion that will be pushed there: a CI checkout may
    hold none of them (a shallow clone, a runner that fetches branches only), and the next version
    number, the "already released" check and the stages must count the versions origin has."""
    git("fetch", "--quiet", "origin", "+refs/tags/*:refs/tags/*")


def register(bump: str, push: bool, skip_unpinned: bool = False) -> None:
    name = model_artifact()
    check_committed()
    if push:
        fetch_versions()
    unpinned = unpinned_stages()
    if unpinned:
        changed = ", ".join(unpinned)
        problem = f"this commit's dvc.lock does not pin the pipeline's outputs (dvc status: {changed} changed)"
        if skip_unpinned:  # CI on main, where the author did not commit a reproduced dvc.lock
            print(f"release: not released: {problem}. To release, run make repro and commit dvc.lock")
            return
        raise PipelineError(f"{problem}: run make repro (make pull first, on a fresh clone) and commit dvc.lock")
    existing = version_at_head(name)
    if existing:
        print(f"release: this commit is already {name}@{existing}; nothing to do")
        return
    message = release_message(name)
    if latest_version(name) is None:
        event = gto.register(".", name, "HEAD", version=FIRST_VERSION[bump], message=message)
    else:
        event = gto.register(
            ".",
            name,
            "HEAD",
            message=message,
            bump_major=bump == "major",
            bump_minor=bump == "minor",
            bump_patch=bump == "patch",
        )
    tag = event.tag
    print(f"release: registered {tag} ({message})")
    if push:
        git("push", "origin", f"refs/tags/{tag}")
        print(f"release: pushed {tag} to origin")


def promote(stage: str, version: str | None, push: bool) -> None:
    name = model_artifact()
    if push:
        fetch_versions()
    if version is None:
        version = latest_version(name)
        if version is None:
            raise PipelineError(f"{name} has no version yet: make release registers one")
    if version_in_stage(name, stage) == version:
        print(f"promote: {name}@{version} is already in stage {stage}; nothing to do")
        return
    # force: GTO refuses a version that was in the stage before (a roll forward after a rollback);
    # whether it is in the stage now was asked above, as gto show answers it.
    event = gto.assign(".", name, stage, version=version, message=f"{name}@{version} to {stage}", force=True)
    print(f"promote: {name}@{version} is now in stage {stage} (tag {event.tag})")
    if push:
        git("push", "origin", f"refs/tags/{event.tag}")
        print(f"promote: pushed {event.tag} to origin")


def main() -> None:
    parser = argparse.ArgumentParser(description="Register gated model versions and assign stages (GTO).")
    commands = parser.add_subparsers(dest="command", required=True)
    registering = commands.add_parser("register", help="tag this commit's model as a new version, if the gate passes")
    registering.add_argument("--bump", choices=BUMPS, default="minor", help="which part of the version to raise")
    registering.add_argument("--push", action="store_true", help="push the new tag to origin")
    registering.add_argument(
        "--skip-unpinned", action="store_true", help="a commit whose dvc.lock is stale: say so, exit 0 (CI)"
    )
    promoting = commands.add_parser("promote", help="assign a stage (dev, staging, prod...) to a version")
    promoting.add_argument("--stage", required=True)
    promoting.add_argument("--version", help="e.g. v0.3.0 (default: the latest version)")
    promoting.add_argument("--push", action="store_true", help="push the new tag to origin")
    commands.add_parser("current", help="print this commit's version (e.g. v0.3.0), or nothing if it has none (CI)")
    arguments = parser.parse_args()
    try:
        if arguments.command == "register":
            register(arguments.bump, arguments.push, arguments.skip_unpinned)
        elif arguments.command == "promote":
            promote(arguments.stage, arguments.version, arguments.push)
        else:
            print(version_at_head(model_artifact()) or "")
    except GTOException as error:  # a bad stage or version name, an unknown version: GTO says which
        raise PipelineError(str(error).replace("\n", " ")) from None


if __name__ == "__main__":
    run(main)
