"""Living with the template: cruft updates, pre-commit hooks (type checks: test_lint.py).

Real tools only: cruft creates and updates a project from a git copy of this template on disk;
pre-commit runs the generated project's own hooks (all `repo: local`, tools from .venv);
"""

import shutil
import sys
from pathlib import Path

import pytest
import yaml
from conftest import TEMPLATE, bake, combinations, run, seed_venv, stages_run

CRUFT = str(Path(sys.executable).parent / "cruft")
GIT_IDENTITY = {"GIT_AUTHOR_NAME": "Owner", "GIT_AUTHOR_EMAIL": "owner@example.com",
                "GIT_COMMITTER_NAME": "Owner", "GIT_COMMITTER_EMAIL": "owner@example.com"}
NOT_TEMPLATE = shutil.ignore_patterns(".git", ".venv", "node_modules", "demo", "__pycache__", ".*_cache")
SLUG = "{{cookiecutter.project_slug}}"


# --- Helpers ------------------------------------------------------------------------------
def git(repository: Path, *args: str) -> str:
    return run(["git", *args], cwd=repository, env=GIT_IDENTITY).stdout


def commit_all(repository: Path, message: str) -> None:
    git(repository, "add", "--all")
    git(repository, "commit", "--quiet", "--message", message)


def template_repository(destination: Path) -> Path:
    """A git repository holding this template's working tree, committed once on main."""
    shutil.copytree(TEMPLATE, destination, ignore=NOT_TEMPLATE)
    git(destination, "init", "--quiet", "--initial-branch", "main")
    commit_all(destination, "Template as it is")
    return destination


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{path}: expected one {old!r}"
    path.write_text(text.replace(old, new))


def files_of(project: Path) -> dict[str, bytes]:
    return {str(path.relative_to(project)): path.read_bytes() for path in sorted(project.rglob("*"))
            if path.is_file() and path.relative_to(project).parts[0] != ".git"}


# --- Nothing in a bake depends on where it was baked --------------------------------------
@pytest.mark.parametrize("answers", list(combinations()))
def test_two_bakes_in_different_places_are_identical(answers, tmp_path):
    # given the same answers, baked in two directories (cruft bakes in a fresh temporary one)
    first = bake(tmp_path / "here", **answers)
    second = bake(tmp_path / "somewhere" / "else", **answers)
    # then every file is the same, byte for byte: a template update has no path to fight over
    assert files_of(first) == files_of(second)


# --- cruft: create, check, diff, update ---------------------------------------------------
@pytest.mark.e2e  # cruft, and a real make setup and make repro of the updated project
def test_cruft_update_brings_template_changes_and_keeps_the_users_edits(stack_venv, tmp_path):
    # given a project created with cruft from a git copy of the template
    template = template_repository(tmp_path / "template")
    run([CRUFT, "create", "--no-input", "--output-dir", str(tmp_path / "work"), str(template)], cwd=tmp_path)
    project = tmp_path / "work" / "music-recommendation"
    # then it is up to date and identical to the template: nothing machine-specific was rendered
    assert "up to date" in run([CRUFT, "check"], cwd=project).stdout
    assert run([CRUFT, "diff", "--exit-code"], cwd=project).stdout == ""
    commit_all(project, "Start from cookiecutter-cd4ml")

    # given the user set it up (the default remote lands in .dvc/config), edited and committed; the
    # .venv seeded with the pinned stack (conftest.seed_venv): installing it is ready_project's test
    seed_venv(project, stack_venv)
    run(["make", "setup"], cwd=project)
    commit_all(project, "Set up: sample data, DVC remote")
    edit(project / "params.yaml", "    rows: 20000\n", "    rows: 6000\n")  # the user's edit
    edit(project / "baseline.txt", "\n0.75000\n", "\n0.70000\n")  # a floor of the user's own
    commit_all(project, "Smaller sample, lower floor")
    # and the template then changed a file the user also edited, changed baseline.txt, added a file
    edit(template / SLUG / "params.yaml", "preprocess:\n  test_size: 0.2\n",
         "preprocess:\n  test_size: 0.25             # a quarter of the rows are held out\n")
    edit(template / SLUG / "baseline.txt", "\n0.75000\n", "\n0.80000\n")
    (template / SLUG / "CONTRIBUTING.md").write_text("# Contributing to {{ cookiecutter.project_name }}\n")
    commit_all(template, "Hold out a quarter; raise the default floor; add CONTRIBUTING.md")
    new_commit = git(template, "rev-parse", "HEAD").strip()
    assert run([CRUFT, "check"], cwd=project, check=False).returncode == 1

    # when the user runs make update, non-interactively
    update = run(["make", "update", "YES=1"], cwd=project)

    # then the template's changes arrived, rendered, beside the user's edit in the same file
    params = yaml.safe_load((project / "params.yaml").read_text())
    assert params["preprocess"]["test_size"] == 0.25 and params["data"]["sample"]["rows"] == 6000
    assert (project / "CONTRIBUTING.md").read_text() == "# Contributing to Music Recommendation\n"
    # and baseline.txt, which .cruft skips, kept the user's floor; the remote setup added stays
    assert "\n0.70000\n" in (project / "baseline.txt").read_text()
    assert f"url = {project.resolve()}-dvc-storage" in (project / ".dvc" / "config").read_text()
    # and there is nothing to resolve by hand, and the project is linked to the new commit
    assert list(project.rglob("*.rej")) == [] and "<<<<<<<" not in (project / "params.yaml").read_text()
    changed = set(git(project, "status", "--porcelain").splitlines())
    assert changed == {" M .cruft.json", "M  params.yaml", "A  CONTRIBUTING.md"}, (changed, update.stdout)
    commit_all(project, "Update from the template")
    assert "up to date" in run([CRUFT, "check"], cwd=project).stdout
    assert new_commit in (project / ".cruft.json").read_text()

    # and the updated project still sets up, runs its whole pipeline and passes the gate
    run(["make", "setup"], cwd=project)
    repro = run(["make", "repro"], cwd=project)
    assert stages_run(repro.stdout) == ["preprocess", "train", "evaluate", "sanity-check", "bundle"]
    assert "gate passed" in repro.stdout


def test_make_update_explains_how_to_link_a_project_made_with_plain_cookiecutter(project_copy):
    # given a project baked with cookiecutter (no .cruft.json)
    # when make update runs
    result = run(["make", "update"], cwd=project_copy, check=False)
    # then it stops with one line that says how to link the project to its template
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        "no .cruft.json: this project is not linked to its template; link it once with: "
        ".venv/bin/cruft link <template URL>")


# --- pre-commit ---------------------------------------------------------------------------
def test_setup_installs_the_pre_commit_hook(project_copy):
    hook = project_copy / ".git" / "hooks" / "pre-commit"
    assert hook.exists() and "pre-commit" in hook.read_text()


def test_pre_commit_hooks_run_offline_from_the_project_environment(project_copy, tmp_path):
    # given the project's hook config: every hook is local, so nothing is downloaded
    config = yaml.safe_load((project_copy / ".pre-commit-config.yaml").read_text())
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    hook_ids = [hook["id"] for hook in config["repos"][0]["hooks"] if "pre-push" not in hook.get("stages", [])]
    env = {"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    # when pre-commit runs every hook on every file
    clean = run([".venv/bin/pre-commit", "run", "--all-files"], cwd=project_copy, env=env, check=False)
    # then all pass, and pre-commit fetched no hook repository
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert clean.stdout.count("Passed") == len(hook_ids) == 8
    assert not list((tmp_path / "pre-commit-home").glob("repo*"))

    # when a commit would add a type error and a large file
    (project_copy / "src/music_recommendation/typo.py").write_text('"""A typo."""\n\nROWS: int = "many"\n')
    (project_copy / "export.csv").write_text("x\n" * 300_000)
    git(project_copy, "add", "src/music_recommendation/typo.py", "export.csv")
    dirty = run([".venv/bin/pre-commit", "run", "--all-files"], cwd=project_copy, env=env, check=False)
    # then the hooks refuse it, naming the file and the problem
    assert dirty.returncode == 1
    assert "typo.py:3: error: Incompatible types in assignment" in dirty.stdout
    assert "export.csv (586 KB) exceeds 500 KB" in dirty.stdout
