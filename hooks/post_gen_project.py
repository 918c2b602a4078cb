"""Trim the baked project to the chosen options and start git.

Nothing written here may depend on where the project is baked: cruft re-bakes the template in
a temporary directory to diff and update a project, and any path of the bake would show up as
a change. So the default DVC remote (a directory beside the project) is added by `make setup`,
not here, and the `.git` made here is in pyproject.toml's `[tool.cruft] skip`.

Imports only the standard library: see pre_gen_project.py.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

ANSWERS = json.loads(r"""{{ cookiecutter | jsonify }}""")
PROJECT = Path.cwd()


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
    init_git()
    # stderr: cruft re-bakes the template to diff a project, and its stdout is the diff.
    print(f"\nCreated {PROJECT.name}. Next:\n  cd {PROJECT.name}\n  make setup   # environment, sample data\n  make repro   # train, evaluate, check, gate\n", file=sys.stderr)


if __name__ == "__main__":
    main()
