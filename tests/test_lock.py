"""`make lock` in a baked project: requirements.lock re-pinned from pyproject.toml's ranges.

It asks the package index for the newest versions (uv pip compile --upgrade), so it needs the
network, as `make setup` does; it runs once, on the default bake.
"""

import re
import shutil
import sys
import tomllib
from pathlib import Path

from conftest import bake, normalised, run


def pinned(lock: Path) -> dict[str, str]:
    return dict(line.split("==", 1) for line in lock.read_text().splitlines() if "==" in line and line[0].isalnum())


def test_make_lock_repins_every_dependency_in_place(tmp_path):
    # Given a fresh project, whose lock came from the template
    project = bake(tmp_path)
    uv = shutil.which("uv", path=str(Path(sys.executable).parent))

    # When its owner runs make lock
    run(["make", "lock", f"UV={uv}"], cwd=project)

    # Then requirements.lock is rewritten in place, says how to redo it, and pins every direct dependency
    lock = (project / "requirements.lock").read_text()
    assert "#    make lock\n" in lock
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    wanted = pyproject["project"]["dependencies"] + pyproject["project"]["optional-dependencies"]["dev"]
    names = {normalised(re.split(r"[\[<>=~!; ]", requirement)[0]) for requirement in wanted}
    assert names <= {normalised(name) for name in pinned(project / "requirements.lock")}


def test_make_lock_without_uv_says_what_to_install(tmp_path):
    project = bake(tmp_path)
    result = run(["make", "lock", "UV="], cwd=project, check=False)
    assert result.returncode != 0
    assert "make lock needs uv" in result.stderr
    assert "make lock" not in (project / "requirements.lock").read_text().splitlines()[1]
