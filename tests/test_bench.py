"""`make bench` runs end to end and writes a complete results.json.

Figures only, no timing assertions: speed belongs to the benchmark, not to tests. To stay short
it benchmarks a copy of the session's set-up project (PROJECT=) instead of baking and setting up
one more (the same cookiecutter + make setup that conftest.ready_project runs), at 20 000 rows and
with 50 single-row requests to the served model instead of 500.
"""

import json

from conftest import TEMPLATE, copy_project, run

STAGES = ["preprocess", "train", "evaluate", "sanity-check", "bundle"]
COST = {"wall_s", "cpu_s", "peak_rss_mb"}


def test_make_bench_measures_every_stage_and_its_peers(ready_project, tmp_path):
    project = copy_project(ready_project, tmp_path)
    out = tmp_path / "bench"

    result = run(["make", "bench", "ROWS=20000", "SEED_APPROACH=1", "SERVING_REQUESTS=50", f"PROJECT={project}",
                  f"OUT={out}"], cwd=TEMPLATE, env={"OMP_WAIT_POLICY": "passive"})

    results = json.loads((out / "results.json").read_text())
    assert set(results) >= {"rows", "machine", "stages", "pipeline", "expert", "seed", "noop", "serving"}
    serving = results["serving"]
    assert all(value > 0 for value in serving["single_row_ms"].values())
    assert serving["rows_per_second_1000"]["served"] > 0 and serving["rows_per_second_1000"]["in_process"] > 0
    assert serving["requests"] == {"single": 50, "batches": 20}
    assert results["rows"] == 20000
    assert json.loads((project / "reports/data_profile.json").read_text())["rows"]["total"] == 20000
    assert set(results["machine"]) >= {"cpus", "memory_gb", "python", "packages"}
    assert set(results["machine"]["packages"]) >= {"xgboost", "scikit-learn", "pandas", "dvc"}
    assert list(results["stages"]) == STAGES
    peers = [("expert", results["expert"]), ("seed", results["seed"])]
    for name, cost in [*results["stages"].items(), ("pipeline", results["pipeline"]), *peers]:
        assert set(cost) >= COST, name
        assert all(cost[key] > 0 for key in COST), (name, cost)
    for approach in ("pipeline", "expert", "seed"):
        assert 0.5 < results[approach]["roc_auc"] <= 1
    assert results["pipeline"]["roc_auc"] == json.loads((project / "metrics.json").read_text())["roc_auc"]
    # Every stage ran inside the measured dvc repro, so the whole costs at least its largest part.
    assert results["pipeline"]["wall_s"] >= max(stage["wall_s"] for stage in results["stages"].values())
    assert set(results["noop"]) == {"repro_s", "status_s"} and all(value > 0 for value in results["noop"].values())
    assert results["expert"]["trees_used"] >= 1  # early stopping, as the pipeline's train
    lines = ("preprocess", "sanity-check", "expert's script", "tutorial's approach", "no-op dvc repro", "as fast",
             "single row p50")
    for line in lines:
        assert line in result.stdout
