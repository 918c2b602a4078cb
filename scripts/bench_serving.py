"""The serving figures of `make bench`: a real `python -m <module>.serving serve` process (uvicorn, one
worker, the workspace's bundle, the request log on) on 127.0.0.1, asked over one keep-alive HTTP
connection, against the scoring function called in-process on the same rows (the limit):

- single-row requests: p50 and p99 latency (each request timed end to end by the client);
- 1,000-row requests: rows per second, and the share of in-process scoring's rows per second.

Run with the project's Python in a reproduced project: .venv/bin/python bench_serving.py --out serving.json
Figures, not assertions: they depend on the machine and on what else runs on it.
"""

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from project_modules import project_modules


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def timings(call, repeats: int) -> np.ndarray:
    call()  # warm
    spent = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        spent.append(time.perf_counter() - started)
    return np.asarray(spent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--single", type=int, default=500, help="single-row requests timed")
    parser.add_argument("--batches", type=int, default=20, help="1,000-row requests timed")
    arguments = parser.parse_args()
    bundle, score, dataset = project_modules("scoring.bundle", "scoring.score", "dataset")
    package = bundle.__name__.split(".")[0]
    scorer = score.Scorer(bundle.load_bundle(Path("models/bundle")))
    rows = dataset.read_table(Path("data/raw/interactions.csv")).head(1000)
    records = json.loads(rows.to_json(orient="records"))
    single_body, batch_body = json.dumps(records[:1]).encode(), json.dumps(records).encode()

    one, thousand = rows.head(1).copy(), rows.copy()
    one.attrs["source"] = thousand.attrs["source"] = "bench"
    in_process_single = timings(lambda: scorer.score(one), arguments.single)
    in_process_batch = timings(lambda: scorer.score(thousand), arguments.batches)

    port = free_port()
    log = Path(tempfile.mkdtemp()) / "requests.jsonl"
    server = subprocess.Popen([sys.executable, "-m", f"{package}.serving", "serve", "--port", str(port)],
                              env={**os.environ, "REQUEST_LOG": str(log)}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        deadline = time.monotonic() + 120
        while True:
            try:
                connection.request("GET", "/health")
                connection.getresponse().read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit(f"the server did not start: {server.stderr.read().decode()[-2000:]}") from None
                time.sleep(0.2)
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

        def post(body: bytes) -> None:
            connection.request("POST", "/predict", body=body, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            assert response.status == 200, response.status

        served_single = timings(lambda: post(single_body), arguments.single)
        served_batch = timings(lambda: post(batch_body), arguments.batches)
    finally:
        server.terminate()
        server.wait(timeout=30)
    results = {
        "single_row_ms": {"served_p50": round(float(np.percentile(served_single, 50)) * 1000, 2),
                          "served_p99": round(float(np.percentile(served_single, 99)) * 1000, 2),
                          "in_process_p50": round(float(np.percentile(in_process_single, 50)) * 1000, 2),
                          "in_process_p99": round(float(np.percentile(in_process_single, 99)) * 1000, 2)},
        "rows_per_second_1000": {"served": round(1000 / float(np.median(served_batch))),
                                 "in_process": round(1000 / float(np.median(in_process_batch)))},
        "requests": {"single": arguments.single, "batches": arguments.batches},
    }
    results["rows_per_second_1000"]["served_share"] = round(
        results["rows_per_second_1000"]["served"] / results["rows_per_second_1000"]["in_process"], 3)
    arguments.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
