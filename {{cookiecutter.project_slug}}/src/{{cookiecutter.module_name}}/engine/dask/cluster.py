"""The Dask cluster a stage works on: the scheduler that DASK_SCHEDULER_ADDRESS or
compute.scheduler names, or a LocalCluster sized to this machine, started and closed with the stage."""

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from distributed import Client, LocalCluster

from ...core.errors import PipelineError
from ...core.hardware import usable_cpus
from ..base import SCHEDULER_VARIABLE


@contextmanager
def connected(settings: dict) -> Iterator[Client]:
    """A distributed.Client for engine/base.compute_settings' `settings`, closed (with any
    LocalCluster it started) when the block ends."""
    _quiet_dask_logs()
    if settings["scheduler"]:
        client = _connect(settings)
        try:
            yield client
        finally:
            client.close()
        return
    # One single-threaded worker process per usable CPU: pandas work holds the GIL, so processes
    # (not threads) keep every CPU busy; train's xgboost runs one share of the rows per worker.
    with (
        LocalCluster(
            n_workers=usable_cpus(),
            threads_per_worker=1,
            dashboard_address=None,  # the dashboard needs bokeh, which the project does not install
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def _connect(settings: dict) -> Client:
    address = settings["scheduler"]
    named = SCHEDULER_VARIABLE if os.environ.get(SCHEDULER_VARIABLE) else "params.yaml: compute.scheduler"
    try:
        return Client(address, timeout=settings["connect_timeout"])
    except (OSError, TimeoutError, ValueError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise PipelineError(
            f"{named}: cannot reach the Dask scheduler at {address!r} within {settings['connect_timeout']}s "
            f"({reason}); start it, fix the address, or leave both {SCHEDULER_VARIABLE} and compute.scheduler "
            "empty for a local cluster"
        ) from None


def _quiet_dask_logs() -> None:
    """Only distributed's errors reach a stage's output, not its startup and shutdown chatter."""
    for name in ("distributed", "distributed.client", "distributed.scheduler", "distributed.worker"):
        logging.getLogger(name).setLevel(logging.ERROR)
