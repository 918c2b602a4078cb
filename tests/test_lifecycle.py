"""Living with the template: cruft updates, pre-commit hooks, type checks.

The template's own Python is type-checked here; the generated project's checks follow.
"""

import sys
from pathlib import Path

from conftest import TEMPLATE, run

MYPY = str(Path(sys.executable).parent / "mypy")


def test_the_templates_own_hooks_and_test_tools_are_type_clean():
    # mypy.ini at the template root: hooks/ and tests/ (with tests/tools/)
    result = run([MYPY], cwd=TEMPLATE, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Success: no issues found")

