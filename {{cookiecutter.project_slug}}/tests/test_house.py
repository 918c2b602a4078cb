"""The house's shape (README.md, "Where to change what"): thin stages, one engine seam, and no import
hidden inside a function except a heavy package's, commented. `make lint` checks the layers."""

import ast
from pathlib import Path

import {{ cookiecutter.module_name }}

PACKAGE = Path({{ cookiecutter.module_name }}.__file__).parent


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_import_inside_a_function_says_why_it_is_there():
    # An import inside a function is for a heavy package a run may not need, said in a comment on
    # its line or the line above (once for a group of imports); never to dodge an import cycle.
    unexplained = []
    for path in modules():
        lines = path.read_text().splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    first = inner.lineno - 1
                    while lines[first - 1].strip().startswith(("import ", "from ")):
                        first -= 1  # the group's first import
                    if "#" not in lines[first] and not lines[first - 1].strip().startswith("#"):
                        unexplained.append(f"{path.relative_to(PACKAGE)}:{inner.lineno}")
    assert unexplained == []


def test_stages_are_thin_and_never_ask_which_engine_they_have():
    for stage in sorted((PACKAGE / "stages").glob("[!_]*.py")):
        text = stage.read_text()
        assert len(text.splitlines()) <= 150, f"{stage.name} is {len(text.splitlines())} lines"
        assert "client is None" not in text and "dask" not in text.lower(), stage.name
