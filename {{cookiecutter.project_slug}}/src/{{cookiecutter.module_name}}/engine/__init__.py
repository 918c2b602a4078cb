"""Where the stages' heavy work runs, chosen once by `compute.engine` in params.yaml.

A stage asks its engine for the work that depends on where the data lives (preparing the dataset,
fitting, predicting, cross-validating: base.Engine) and does the rest itself, never asking which
engine it has. Both engines apply the same rules (core/) and your code (dataset.py, features.py,
models.py), so they write the same files and reach the same numbers.

  local.py   pandas and the model in the stage's own process (the default)
  dask/      a Dask cluster, for data beyond one process's memory (README: "Compute engines")
"""

from collections.abc import Iterator
from contextlib import contextmanager

from .base import Engine, Fitted, Prepared, compute_settings
from .local import LocalEngine

__all__ = ["Engine", "Fitted", "Prepared", "compute_settings", "open_engine"]


@contextmanager
def open_engine(params: dict) -> Iterator[Engine]:
    """The engine that params.yaml's compute.engine names, for the length of the block."""
    settings = compute_settings(params)
    if settings["engine"] == "local":
        yield LocalEngine()
        return
    from .dask import dask_engine  # heavy (dask, distributed): imported only for the dask engine

    with dask_engine(params, settings) as engine:
        yield engine
