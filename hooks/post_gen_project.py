"""Trim the baked project to the chosen options, start git and make the first commit.

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


# The first commit's identity when git has none configured: passed with `git -c` for that one
# commit only, never written into a config. `git commit --amend --reset-author` takes it over.
FALLBACK_NAME = "cookiecutter-cd4ml"
FALLBACK_EMAIL = "cookiecutter-cd4ml@example.invalid"
FIRST_COMMIT_MESSAGE = "Start from cookiecutter-cd4ml"


def git(*args, check=True):
    return subprocess.run(["git", *args], cwd=PROJECT, check=check, capture_output=True, text=True)


def has_identity():
    """Whether git knows who commits: `git var` fails exactly where `git commit` would."""
    return all(git("var", variable, check=False).returncode == 0 for variable in ("GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT"))


def init_git():
    """git init on main, everything staged, and a first commit, so `dvc exp run` works at once."""
    if shutil.which("git") is None:
        print("git is not installed: run `git init -b main` and a first commit in the project before using DVC.", file=sys.stderr)
        return
    git("init", "--quiet")
    git("symbolic-ref", "HEAD", "refs/heads/main")  # the CI files compare against main
    git("add", "--all")
    if has_identity():
        fallback, note = [], ""
    else:
        fallback = ["-c", f"user.name={FALLBACK_NAME}", "-c", f"user.email={FALLBACK_EMAIL}"]
        note = (" (git has no identity here, so this one commit uses the template's; set yours with"
                " git config --global user.name/user.email, then `git commit --amend --reset-author`)")
    # --no-verify: the user's global hooks, if any, judge their own commits, not the template's files.
    commit = git(*fallback, "commit", "--quiet", "--no-verify", "--message", FIRST_COMMIT_MESSAGE, check=False)
    if commit.returncode != 0:
        reason = (commit.stderr.strip().splitlines() or ["no message"])[-1]
        print(f"No first commit ({reason}): the files are staged; commit them before `dvc exp run`.", file=sys.stderr)
        return
    author = git("log", "-1", "--format=%an <%ae>").stdout.strip()
    print(f"First commit \"{FIRST_COMMIT_MESSAGE}\" made as {author}{note}.", file=sys.stderr)


def main():
    for relative in unused_paths(ANSWERS):
        remove(relative)
    init_git()
    # stderr: cruft re-bakes the template to diff a project, and its stdout is the diff.
    print(f"\nCreated {PROJECT.name}. Next:\n  cd {PROJECT.name}\n  make setup   # environment, sample data\n  make repro   # train, evaluate, check, gate\n", file=sys.stderr)


if __name__ == "__main__":
    main()
