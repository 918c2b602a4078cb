"""How much memory the dask engine's training holds per training row, on a LocalCluster.

Run with a set-up project's Python, after its preprocess stage ran with compute.engine: dask
(so data/processed holds folders of parquet parts):
    bench/project/<slug>/.venv/bin/python scripts/dask_fit_memory.py bench/project/<slug>
It starts a LocalCluster as the train stage does (one single-threaded worker per CPU), reads the
training split once (the workers' memory after that is the baseline: libraries, allocator
pools), then runs the engine's fit (engine/dask/training.py) while sampling every worker's resident memory every 0.5 s.
It prints the peak above the baseline, in all and per training row: the figure to compare when
changing how the workers hold the rows (74 M rows fit 12 GB only at about 150 bytes a row).
"""

import argparse
import os
import sys
import threading
import time
from pathlib import Path

from project_modules import project_modules

SAMPLE_SECONDS = 0.5


def resident_mb(dask_worker=None) -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path, help="a set-up project whose preprocess ran with the dask engine")
    arguments = parser.parse_args()
    os.chdir(arguments.project)
    files, params_module, paths, hardware, splits, storage, training = project_modules(
        "core.files", "core.params", "core.paths", "core.hardware", "engine.dask.splits", "engine.dask.storage",
        "engine.dask.training",
    )
    from distributed import Client, LocalCluster

    params = params_module.load_params()
    schema = files.read_json(paths.SCHEMA_FILE)
    if not Path(paths.TRAIN_FILE).is_dir():
        sys.exit(f"dask_fit_memory: {paths.TRAIN_FILE} is one file; run preprocess with compute.engine: dask first")
    workers = hardware.usable_cpus()
    with (
        LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        split = storage.worker_storage(params).files(paths.TRAIN_FILE)
        rows = len(splits.read_split(split, schema)[0])  # every part read once, on the workers
        baseline = list(client.run(resident_mb).values())
        peaks, done = list(baseline), threading.Event()

        def sample() -> None:
            while not done.wait(SAMPLE_SECONDS):
                for index, value in enumerate(client.run(resident_mb).values()):
                    peaks[index] = max(peaks[index], value)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.perf_counter()
        training.fit(client, split, schema, params["train"])
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
    added = sum(peaks) - sum(baseline)
    print(f"{rows:,} training rows, {workers} workers, fit {seconds:.1f} s")
    print(f"workers' memory after reading the split (baseline): {', '.join(f'{mb:.0f}' for mb in baseline)} MB")
    print(f"workers' peak during the fit: {', '.join(f'{mb:.0f}' for mb in peaks)} MB")
    print(f"added by the fit: {added:.0f} MB in all, {added * 2**20 / rows:.0f} bytes per training row")


if __name__ == "__main__":
    main()
