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


def set_directory_remote():
    """Write a directory remote into .dvc/config as an absolute path.

    With no remote given, the directory sits beside the project, so push/pull work at once;
    `make remote URL=s3://bucket/prefix` (see the README) moves the project to S3 later. A
    relative answer is taken relative to the project, not to .dvc/ (where DVC would resolve it,
    putting the storage inside the repository). Absolute, every clone on this machine shares it.
    """
    answer = ANSWERS["dvc_remote_url"].strip()
    if answer.startswith("s3://"):
        return
    storage = Path(answer).expanduser() if answer else PROJECT.parent / f"{PROJECT.name}-dvc-storage"
    storage = (PROJECT / storage).resolve()  # an absolute answer stays as it is
    config = PROJECT / ".dvc" / "config"
    lines = config.read_text().splitlines(keepends=True)
    # The template wrote the one `url = ...` line; the pre-generation hook refused a path with
    # both kinds of quote, so one of them can quote this value (configobj has no escapes).
    quote = '"' if '"' not in str(storage) else "'"
    config.write_text("".join(f"    url = {quote}{storage}{quote}\n" if line.startswith("    url = ") else line for line in lines))


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
    set_directory_remote()
    init_git()
    print(f"\nCreated {PROJECT.name}. Next:\n  cd {PROJECT.name}\n  make setup   # environment, sample data\n  make repro   # train, evaluate, check, gate\n")


if __name__ == "__main__":
    main()
