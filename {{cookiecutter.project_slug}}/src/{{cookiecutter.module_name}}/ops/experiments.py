"""`make exp-show`: `dvc exp show` with the model's metrics as the first columns.

reports/data_profile.json is a DVC metric, so that the CI report can diff the data against main,
and `dvc exp show` would put its ~30 numbers (rows, class balance, missing shares) before the
model's metrics. Here they are dropped (`--drop`), columns equal in every experiment are hidden
(`--only-changed`), and the model's metrics are always kept (`--keep`). Other options go to
`dvc exp show` as they are: `.venv/bin/python -m {{ cookiecutter.module_name }}.ops.experiments --csv`.
"""

import json
import os
import re
import sys
from pathlib import Path

from ..core.errors import PipelineError, run
from ..core.paths import DATA_PROFILE_FILE, METRICS_FILE


def column_names(tree: dict, prefix: str = "") -> list[str]:
    """The names `dvc exp show` gives a JSON metric's numbers: nested keys joined by dots."""
    names = []
    for key, value in tree.items():
        name = f"{prefix}{key}"
        names += column_names(value, f"{name}.") if isinstance(value, dict) else [name]
    return names


def exact(names: list[str], file: Path) -> str:
    """A regex matching exactly these columns (with the `file:` prefix DVC adds when names clash)."""
    return f"^({re.escape(str(file))}:)?({'|'.join(map(re.escape, names))})$"


def read_metric(path: Path) -> dict:
    """A metric file's numbers, or none while the pipeline has not written it yet."""
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise PipelineError(f"{path} is not valid JSON ({error}): rerun the pipeline (make repro)") from None
    return content if isinstance(content, dict) else {}


def show_arguments(metrics: dict, profile: dict) -> list[str]:
    """`dvc exp show` options: the data profile dropped, the model's metrics kept, the rest if it changed."""
    arguments = ["--only-changed"]
    if profile:
        arguments += ["--drop", exact(column_names(profile), DATA_PROFILE_FILE)]
    if metrics:
        arguments += ["--keep", exact(column_names(metrics), METRICS_FILE)]
    return arguments


def main() -> None:
    arguments = show_arguments(read_metric(METRICS_FILE), read_metric(DATA_PROFILE_FILE))
    dvc = Path(sys.executable).with_name("dvc")  # .venv's, beside its python
    os.execv(dvc, [str(dvc), "exp", "show", *arguments, *sys.argv[1:]])


if __name__ == "__main__":
    run(main)
