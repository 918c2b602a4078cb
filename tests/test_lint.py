"""Types and style: `make lint` (ruff, mypy, import-linter) on every option combination and on
package names from either end of the alphabet, with the pinned stack's tools (conftest's
`stack_venv`) and the mypy cache kept with them; the template's own hooks and tests type-checked.

A file of its own (it was part of test_lifecycle.py): the fast tier's longest file, after the
pinned stack's first build, now runs beside the rest on the other worker.
`pytest -rP tests/test_lint.py` prints the wall time of each `make lint`.
"""

import hashlib
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import TEMPLATE, bake, combinations, mypy_cache_of, run

MYPY = str(Path(sys.executable).parent / "mypy")


# --- Types --------------------------------------------------------------------------------
def lint_inputs(project: Path) -> str:
    """A digest of what `make lint` reads: src/, tests/ and pyproject.toml (its tool settings)."""
    digest = hashlib.sha256()
    paths = [project / "pyproject.toml", *(project / "src").rglob("*"), *(project / "tests").rglob("*")]
    for path in sorted(path for path in paths if path.is_file()):
        digest.update(str(path.relative_to(project)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


_lint_results: dict[str, tuple[subprocess.CompletedProcess, float]] = {}


def assert_make_lint_passes(project: Path, venv: Path) -> None:
    """`make lint` (ruff, mypy, import-linter) in `project` with the tools of `venv` and the mypy cache
    kept with them (conftest.mypy_cache_of), run once per distinct input: projects whose src/, tests/
    and pyproject.toml are byte-identical (the answers only differ elsewhere) share a run."""
    key = lint_inputs(project)
    if key not in _lint_results:
        started = time.monotonic()
        result = run(["make", "lint", f"VENV={venv}"], cwd=project, check=False,
                     env={"MYPY_CACHE_DIR": str(mypy_cache_of(venv))})
        _lint_results[key] = result, time.monotonic() - started
    result, seconds = _lint_results[key]
    assert result.returncode == 0, result.stdout + result.stderr
    checked = len([*(project / "src").rglob("*.py"), *(project / "tests").rglob("*.py")])
    assert f"Success: no issues found in {checked} source files" in result.stdout
    print(f"make lint {seconds:.1f} s, {len(_lint_results)} distinct inputs so far")


@pytest.mark.parametrize("answers", list(combinations()))
def test_make_lint_with_type_checks_passes(answers, stack_venv, tmp_path):
    # given a project baked with these answers, and the tools of the pinned stack (make setup's)
    project = bake(tmp_path, **answers)
    # when make lint runs, then style, types and the package's layers are clean
    assert_make_lint_passes(project, stack_venv)


# The package's name decides where its imports sort: before `conftest` (the generated tests'
# shared fixtures) or after it, and the first MR of a team whose name sorted wrong was red.
@pytest.mark.parametrize("project_name", ["Aardvark", "B2B Churn", "CI Check", "Zulu"])
def test_make_lint_passes_whatever_the_package_name_sorts_as(project_name, stack_venv, tmp_path):
    # given a project named from either end of the alphabet, and the tools of the pinned stack
    project = bake(tmp_path, project_name=project_name)
    # when make lint runs, then style, types and the package's layers are clean
    assert_make_lint_passes(project, stack_venv)


def test_the_kept_mypy_cache_still_finds_a_type_error(stack_venv, tmp_path):
    # given a bake, and the mypy cache that the lint runs above keep between sessions
    # (conftest.mypy_cache_of), warm with this very code
    project = bake(tmp_path)
    env = {"MYPY_CACHE_DIR": str(mypy_cache_of(stack_venv))}
    run(["make", "lint", f"VENV={stack_venv}"], cwd=project, env=env)
    # when the package's __init__.py gains a type error and mypy runs again with that cache
    init = next((project / "src").glob("*/__init__.py"))
    init.write_text(init.read_text() + '\nROWS: int = "many"\n')
    result = run([str(stack_venv / "bin/mypy")], cwd=project, check=False, env=env)
    # then it finds the error, as a cold cache would
    assert result.returncode == 1
    assert "__init__.py:" in result.stdout and "Incompatible types in assignment" in result.stdout


def test_the_templates_own_hooks_and_test_tools_are_type_clean():
    # mypy.ini at the template root: hooks/ and tests/ (with tests/tools/)
    result = run([MYPY], cwd=TEMPLATE, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Success: no issues found")

