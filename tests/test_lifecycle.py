"""Living with the template: cruft updates, pre-commit hooks, type checks.

A bake holds nothing of where it was baked (cruft re-bakes in temporary directories to diff
and update). The template's own Python is type-checked here.
"""

import sys
from pathlib import Path

import pytest
from conftest import TEMPLATE, bake, combinations, run

MYPY = str(Path(sys.executable).parent / "mypy")


def files_of(project: Path) -> dict[str, bytes]:
    return {str(path.relative_to(project)): path.read_bytes() for path in sorted(project.rglob("*"))
            if path.is_file() and path.relative_to(project).parts[0] != ".git"}


# --- Nothing in a bake depends on where it was baked --------------------------------------
@pytest.mark.parametrize("answers", combinations())
def test_two_bakes_in_different_places_are_identical(answers, tmp_path):
    # given the same answers, baked in two directories (cruft bakes in a fresh temporary one)
    first = bake(tmp_path / "here", **answers)
    second = bake(tmp_path / "somewhere" / "else", **answers)
    # then every file is the same, byte for byte: a template update has no path to fight over
    assert files_of(first) == files_of(second)


def test_the_templates_own_hooks_and_test_tools_are_type_clean():
    # mypy.ini at the template root: hooks/ and tests/ (with tests/tools/)
    result = run([MYPY], cwd=TEMPLATE, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Success: no issues found")

