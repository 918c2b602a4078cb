"""The baked project's own modules, for the scripts that run with its Python (bench_seed.py,
fit_levers.py, dask_fit_memory.py): imported from its src/ folder, whatever the package's name."""

import importlib
import sys
from pathlib import Path
from types import ModuleType


def project_modules(*names: str) -> list[ModuleType]:
    """The modules `names` (e.g. "models") of the project in the current folder, in that order."""
    sys.path.insert(0, "src")
    package = next(path.parent.name for path in Path("src").glob("*/features.py"))
    return [importlib.import_module(f"{package}.{name}") for name in names]
