"""`make bench`: how fast, how hungry and how good the default project's pipeline is at scale.

Bakes the default project into bench/ (git-ignored), sets it up as the README's quickstart does
(make setup), generates ROWS interactions with the project's sample generator, and runs the
pipeline with `dvc repro -f`. Each stage's command is measured as DVC runs it (measure.py is the
`python` that DVC finds first on PATH): wall time, CPU seconds and peak memory of its process
tree. Then a no-op `dvc repro` and `dvc status`, and the pipeline's peers on the same data and
test rows: the expert's one-file script (bench_expert.py) with the local engine, the plain Dask
user's script (bench_dask_user.py) with the dask engine, and the tutorial's approach (bench_seed.py). Prints a table and writes bench/results.json.

    python scripts/bench.py --rows 1000000 [--seed-approach 0] [--expert 0] [--project path/to/set-up/project] [--engine dask]

--engine dask sets compute.engine: dask in the project's params.yaml, so each stage starts a
LocalCluster sized to the machine (or uses DASK_SCHEDULER_ADDRESS when it is set).

Figures, not assertions: they depend on the machine and on what else runs on it (the load
average is recorded with them).
"""

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

from measure import measure

TEMPLATE = Path(__file__).resolve().parents[1]
STAGES = {"preprocess": "preprocess", "train": "train", "evaluate": "evaluate", "sanity_check": "sanity-check",
          "bundle": "bundle"}
PACKAGES = ["xgboost", "scikit-learn", "pandas", "numpy", "pyarrow", "dvc"]


def progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def fail(message: str) -> None:
    print(f"bench: error: {message}", file=sys.stderr)
    sys.exit(1)


def checked(command: list[str], cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run a command; on failure, show its output and stop."""
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        fail(f"{shlex.join(command)} exited {result.returncode} in {cwd}\n{result.stdout}{result.stderr}")
    return result


def bake(out: Path) -> Path:
    from cookiecutter.main import cookiecutter

    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    project = Path(cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(out)))
    progress(f"baked {project}; make setup")
    checked(["make", "setup"], cwd=project)
    return project


def machine(project: Path) -> dict:
    python = project / ".venv/bin/python"
    query = f"import json, importlib.metadata as m, platform; print(json.dumps([platform.python_version(), {{p: m.version(p) for p in {PACKAGES!r}}}]))"
    python_version, packages = json.loads(checked([str(python), "-c", query], cwd=project).stdout)
    memory_kb = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal:"))
    return {
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "memory_gb": round(memory_kb / 2**20, 1),
        "python": python_version,
        "packages": packages,
        "platform": platform.platform(),
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
    }


def template_commit() -> str | None:
    """The template's commit the benchmark ran (with +dirty for uncommitted changes), at its start."""
    described = subprocess.run(["git", "describe", "--always", "--dirty=+dirty"], cwd=TEMPLATE,
                               capture_output=True, text=True)
    return described.stdout.strip() or None


def run_pipeline(project: Path, work: Path, env: dict) -> tuple[dict, dict]:
    """`dvc repro -f` with every stage command measured; return (stages, pipeline)."""
    shim, log = work / "shim", work / "stages.jsonl"
    shim.mkdir(exist_ok=True)
    log.unlink(missing_ok=True)
    python = shim / "python"
    python.write_text(
        "#!/bin/sh\n"
        f"exec {shlex.quote(sys.executable)} {shlex.quote(str(TEMPLATE / 'scripts/measure.py'))} "
        f"--log {shlex.quote(str(log))} -- {shlex.quote(str(project / '.venv/bin/python'))} \"$@\"\n"
    )
    python.chmod(0o755)
    shim_env = {**env, "PATH": f"{shim}:{env['PATH']}"}
    result = measure([str(project / ".venv/bin/dvc"), "repro", "-f"], cwd=project, env=shim_env,
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if result.pop("returncode") != 0:
        fail(f"dvc repro failed in {project}; run it there to see why")
    stages = {}
    for line in log.read_text().splitlines():
        entry = json.loads(line)
        command = entry["command"]
        stage = STAGES.get(command[command.index("-m") + 1].rsplit(".", 1)[-1]) if "-m" in command else None
        if stage is None:
            continue
        if entry["returncode"] != 0:
            fail(f"stage {stage} exited {entry['returncode']}")
        stages[stage] = {key: entry[key] for key in ("wall_s", "cpu_s", "peak_rss_mb")}
    missing = [stage for stage in STAGES.values() if stage not in stages]
    if missing:
        fail(f"dvc repro ran no command for stage(s) {missing}: is `python` in their cmd?")
    metrics = json.loads((project / "metrics.json").read_text())
    return stages, {**result, "roc_auc": metrics["roc_auc"]}


def set_engine(project: Path, engine: str) -> None:
    """compute.engine in the project's params.yaml (the line's comment kept)."""
    params = project / "params.yaml"
    text, count = re.subn(r"(?m)^(  engine:) *(local|dask)\b", rf"\g<1> {engine}", params.read_text(), count=1)
    if count != 1:
        fail(f"{params}: no compute.engine line to set; is the project older than the dask engine?")
    params.write_text(text)


def timed(command: list[str], cwd: Path, env: dict) -> tuple[float, str]:
    started = time.perf_counter()
    output = checked(command, cwd=cwd, env=env)
    return round(time.perf_counter() - started, 2), output.stdout + output.stderr


def run_peer(script: str, name: str, project: Path, work: Path, env: dict, may_fail: bool = False) -> dict:
    """A peer (one script in scripts/) on the project's data and test rows: its cost and its score.

    A peer that may fail (the plain Dask user's script at a scale it cannot hold) is recorded with
    its error and its cost up to then instead of stopping the benchmark; its output is in
    <work>/<script>.log either way.
    """
    out, log = work / f"{Path(script).stem}.json", work / f"{Path(script).stem}.log"
    out.unlink(missing_ok=True)
    with open(log, "w") as output:
        result = measure([str(project / ".venv/bin/python"), str(TEMPLATE / "scripts" / script), "--out", str(out)],
                         cwd=project, env=env, stdout=output, stderr=subprocess.STDOUT)
    returncode = result.pop("returncode")
    if returncode != 0:
        lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
        error = lines[-1] if lines else "no output"
        if returncode < 0:
            error = f"killed by signal {-returncode}" + (" (out of memory?)" if returncode == -9 else "") + f"; last output: {error}"
        if not may_fail:
            fail(f"{name} (scripts/{script}) exited {returncode}: {error}; its output is in {log}")
        progress(f"{name} failed after {result['wall_s']} s: {error}")
        return {**result, "failed": error, "roc_auc": None}
    scored = json.loads(out.read_text())
    if not scored["same_split"]:
        fail(f"{name} did not score the pipeline's test rows; the comparison would be unfair")
    return {**result, **{key: value for key, value in scored.items() if key != "same_split"}}


def run_serving(project: Path, work: Path, env: dict, single: int) -> dict:
    out = work / "serving.json"
    checked([str(project / ".venv/bin/python"), str(TEMPLATE / "scripts/bench_serving.py"), "--out", str(out),
             "--single", str(single)], cwd=project, env={**env, "PYTHONPATH": str(TEMPLATE / "scripts")})
    return json.loads(out.read_text())


def table(results: dict) -> str:
    rows = [("step", "wall s", "CPU s", "peak MB", "ROC AUC")]
    for name, stage in results["stages"].items():
        rows.append((f"  {name}", stage["wall_s"], stage["cpu_s"], stage["peak_rss_mb"], ""))
    pipeline = results["pipeline"]
    rows.append(("pipeline (dvc repro -f)", pipeline["wall_s"], pipeline["cpu_s"], pipeline["peak_rss_mb"],
                 pipeline["roc_auc"]))
    seed, expert, dask_user = results.get("seed"), results.get("expert"), results.get("dask_user")
    if expert:
        rows.append(("expert's script", expert["wall_s"], expert["cpu_s"], expert["peak_rss_mb"], expert["roc_auc"]))
    if dask_user:
        rows.append(("plain Dask user's script" + (" (failed)" if dask_user.get("failed") else ""),
                     dask_user["wall_s"], dask_user["cpu_s"], dask_user["peak_rss_mb"], dask_user["roc_auc"] or "-"))
    if seed:
        rows.append(("tutorial's approach", seed["wall_s"], seed["cpu_s"], seed["peak_rss_mb"], seed["roc_auc"]))
    noop = results["noop"]
    rows += [("no-op dvc repro", noop["repro_s"], "", "", ""), ("dvc status", noop["status_s"], "", "", "")]
    widths = [max(len(str(row[column])) for row in rows) for column in range(5)]
    lines = [
        "  ".join(str(cell).ljust(widths[0]) if column == 0 else str(cell).rjust(widths[column])
                  for column, cell in enumerate(row))
        for row in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    m = results["machine"]
    lines.insert(0, f"{results['rows']:,} rows, {results.get('engine', 'local')} engine; {m['cpus_usable']} of {m['cpus']} CPUs, {m['memory_gb']} GB; "
                    f"load average {m['load_average_at_start']} at start, {m['load_average_at_end']} at end")
    if dask_user and dask_user.get("failed"):
        lines.append(f"the plain Dask user's script failed after {dask_user['wall_s']} s at "
                     f"{dask_user['peak_rss_mb']} MB: {dask_user['failed']}")
    elif dask_user:
        lines.append(
            f"pipeline vs the plain Dask user's script: {pipeline['wall_s'] / dask_user['wall_s']:.2f}x its time, "
            f"{pipeline['peak_rss_mb'] / dask_user['peak_rss_mb']:.2f}x its peak memory, "
            f"ROC AUC {pipeline['roc_auc'] - dask_user['roc_auc']:+.4f}"
        )
    if expert:
        lines.append(
            f"pipeline vs the expert's script: {pipeline['wall_s'] / expert['wall_s']:.2f}x its time, "
            f"{pipeline['peak_rss_mb'] / expert['peak_rss_mb']:.2f}x its peak memory, "
            f"ROC AUC {pipeline['roc_auc'] - expert['roc_auc']:+.4f}"
        )
    if seed:
        lines.append(
            f"pipeline vs the tutorial's approach: {seed['wall_s'] / pipeline['wall_s']:.1f}x as fast, "
            f"{seed['peak_rss_mb'] / pipeline['peak_rss_mb']:.1f}x less peak memory, "
            f"ROC AUC {pipeline['roc_auc'] - seed['roc_auc']:+.4f}"
        )
    serving = results.get("serving")
    if serving:
        single, rate = serving["single_row_ms"], serving["rows_per_second_1000"]
        lines.append(
            f"serving, one uvicorn worker: single row p50 {single['served_p50']} ms, p99 {single['served_p99']} ms "
            f"(in-process {single['in_process_p50']} / {single['in_process_p99']} ms); 1,000-row requests "
            f"{rate['served']:,} rows/s, {rate['served_share']:.0%} of in-process scoring's {rate['in_process']:,}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed-approach", type=int, choices=[0, 1], default=1, help="0: skip the tutorial's approach")
    parser.add_argument("--expert", type=int, choices=[0, 1], default=1,
                        help="0: skip the pipeline's peer script (the expert's, or with --engine dask the plain Dask user's)")
    parser.add_argument("--out", type=Path, default=TEMPLATE / "bench", help="work folder (default: bench/)")
    parser.add_argument("--project", default="", help="use this set-up project instead of baking one (it is changed)")
    parser.add_argument("--engine", choices=["local", "dask"], default="local", help="compute.engine of the pipeline")
    parser.add_argument("--serving-requests", type=int, default=500,
                        help="single-row requests timed against the served model, and in-process (default: 500)")
    arguments = parser.parse_args()
    if arguments.rows < 1000:
        fail(f"--rows {arguments.rows}: use at least 1000 rows")
    if arguments.serving_requests < 10:
        fail(f"--serving-requests {arguments.serving_requests}: time at least 10 requests (a p99 needs some)")
    work = arguments.out.resolve()
    work.mkdir(parents=True, exist_ok=True)

    if arguments.project:
        project = Path(arguments.project).resolve()
        if not (project / ".venv/bin/dvc").exists():
            fail(f"{project}: not a set-up project (no .venv/bin/dvc); run make setup there")
    else:
        progress("baking the default project")
        project = bake(work / "project")
    env = {**os.environ, "PATH": f"{project / '.venv/bin'}:{os.environ['PATH']}"}
    results = {"rows": arguments.rows, "engine": arguments.engine, "machine": machine(project),
               "template_commit": template_commit()}
    set_engine(project, arguments.engine)

    progress(f"generating {arguments.rows:,} rows of sample data")
    checked(["make", "sample-data", f"ROWS={arguments.rows}"], cwd=project, env=env)
    # The generator's files (and DVC's copy in its cache) reach the disk now, not while the pipeline
    # runs: at 7.4 M rows their writeback slowed the timed dvc repro by 10-15 s, the generator's
    # cost rather than the pipeline's.
    os.sync()

    progress("dvc repro -f (each stage measured)")
    results["stages"], results["pipeline"] = run_pipeline(project, work, env)
    progress(f"pipeline: {results['pipeline']['wall_s']} s, ROC AUC {results['pipeline']['roc_auc']}")

    progress("no-op dvc repro and dvc status")
    repro_s, output = timed([str(project / ".venv/bin/dvc"), "repro"], project, env)
    if "Running stage" in output:
        fail(f"the second dvc repro ran a stage, it should have run none:\n{output}")
    status_s, _ = timed([str(project / ".venv/bin/dvc"), "status"], project, env)
    results["noop"] = {"repro_s": repro_s, "status_s": status_s}

    if arguments.expert and arguments.engine == "local":
        progress("the expert's one-file script (pyarrow, the same features and xgboost settings) on the same split")
        results["expert"] = run_peer("bench_expert.py", "the expert's script", project, work, env)
        progress(f"expert's script: {results['expert']['wall_s']} s, ROC AUC {results['expert']['roc_auc']}")
    if arguments.expert and arguments.engine == "dask":
        progress("the plain Dask user's script (read_csv, merge, xgboost.dask) on the same split")
        results["dask_user"] = run_peer("bench_dask_user.py", "the plain Dask user's script", project, work, env,
                                        may_fail=True)
        if not results["dask_user"].get("failed"):  # a failure was said as it happened
            progress(f"plain Dask user's script: {results['dask_user']['wall_s']} s, ROC AUC {results['dask_user']['roc_auc']}")

    progress("serving: single-row latency and 1,000-row throughput, served and in-process (bench_serving.py)")
    results["serving"] = run_serving(project, work, env, arguments.serving_requests)

    if arguments.seed_approach:
        progress("the tutorial's approach (pandas merges + RandomForest) on the same split")
        results["seed"] = run_peer("bench_seed.py", "the tutorial's approach", project, work, env)
        progress(f"tutorial's approach: {results['seed']['wall_s']} s, ROC AUC {results['seed']['roc_auc']}")
    results["machine"]["load_average_at_end"] = [round(value, 2) for value in os.getloadavg()]

    (work / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"written: {work / 'results.json'}")


if __name__ == "__main__":
    main()
