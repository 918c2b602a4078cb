"""Trim the baked project to the chosen options, point DVC at its remote, start git.

Imports only the standard library: see pre_gen_project.py.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

ANSWERS = json.loads(r"""{{ cookiecutter | jsonify }}""")
PROJECT = Path.cwd()
LOCAL_REMOTE_PLACEHOLDER = "__LOCAL_REMOTE__"


def unused_paths(answers):
    """Files and folders the chosen options do not need."""
    if answers["ci_provider"] == "github":
        yield ".gitlab-ci.yml"
    if answers["ci_provider"] == "gitlab":
        yield ".github"
    if answers["use_gpu"] == "no":
        yield ".github/actionlint.yaml"  # it only declares the self-hosted GPU runners' label
    if answers["open_source_license"] == "none":
        yield "LICENSE"


def remove(relative):
    path = PROJECT / relative
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def set_local_remote():
    """With no remote given, use a directory beside the project so push/pull work at once.

    The path is absolute so that every clone on this machine shares the same storage;
    `make remote URL=s3://bucket/prefix` (see the README) moves the project to S3 later.
    """
    config = PROJECT / ".dvc" / "config"
    text = config.read_text()
    if LOCAL_REMOTE_PLACEHOLDER in text:
        storage = PROJECT.parent / f"{PROJECT.name}-dvc-storage"
        config.write_text(text.replace(LOCAL_REMOTE_PLACEHOLDER, str(storage.resolve())))


def init_git():
    if shutil.which("git") is None:
        print("git is not installed: run `git init -b main` in the project before using DVC.", file=sys.stderr)
        return
    run = lambda *args: subprocess.run(["git", *args], cwd=PROJECT, check=True, capture_output=True)  # noqa: E731
    run("init", "--quiet")
    run("symbolic-ref", "HEAD", "refs/heads/main")  # the CI files compare against main
    run("add", "--all")


def main():
    for relative in unused_paths(ANSWERS):
        remove(relative)
    set_local_remote()
    init_git()
    print(f"\nCreated {PROJECT.name}. Next:\n  cd {PROJECT.name}\n  make setup   # environment, sample data\n  make repro   # train, evaluate, check, gate\n")


if __name__ == "__main__":
    main()
