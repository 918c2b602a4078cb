"""compute.engine: dask, for real: the pipeline on a Dask scheduler with two worker processes,
and on the LocalCluster a stage starts itself; an unreachable scheduler, a worker killed during
training and bad data each fail with one clear line and leave nothing half-written.

The scheduler and workers are `dask scheduler` / `dask worker` processes started from the set-up
project's own environment on 127.0.0.1 (free ports, found from the scheduler file), and stopped
by their process ids. Results are compared with the local engine's on the same sample data.
"""

import json
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from conftest import run, stages_run
from test_bad_data import CASES, edit_csv
from tools.public_tables import males
from tools.regression_data import use_in

STAGES = ["preprocess", "train", "evaluate", "sanity-check", "bundle"]
MODULE = "music_recommendation"  # the default bake's package
# Task names that only the dask engine's code puts on a scheduler: preprocess (clean_part,
# write_part), the workers' xgboost training (dask_training.py), evaluate/sanity-check predictions, cross-validation.
DASK_TASKS = {"clean_part", "write_part", "xgboost-training", "predict_partition", "fold_score"}


# --- A real cluster -----------------------------------------------------------------------
class Cluster:
    """A `dask scheduler` and `workers` `dask worker` processes of the project's environment."""

    def __init__(self, project: Path, folder: Path, workers: int = 2):
        self.python = project / ".venv/bin/python"
        self.processes: list[subprocess.Popen] = []
        folder.mkdir(parents=True, exist_ok=True)
        scheduler_file = folder / "scheduler.json"
        self._start(folder, "scheduler", ["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                          "--scheduler-file", str(scheduler_file)])
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.address = json.loads(scheduler_file.read_text())["address"]
        for number in range(workers):
            self._start(folder, f"worker{number}", ["worker", "--scheduler-file", str(scheduler_file), "--nthreads",
                                                    "1", "--no-nanny", "--no-dashboard", "--local-directory",
                                                    str(folder / f"worker{number}")])
        self.ask("client.wait_for_workers(%d, timeout=60)" % workers)

    def _start(self, folder: Path, name: str, arguments: list[str]) -> None:
        log = open(folder / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        # cwd is not the project: the workers must find the data by the paths the stages give them
        self.processes.append(subprocess.Popen([str(self.python.parent / "dask"), *arguments], cwd=folder,
                                               stdout=log, stderr=subprocess.STDOUT))

    def ask(self, expression: str, until_true: bool = False):
        """Evaluate `expression` with a distributed `client` connected to this cluster; its JSON result.

        until_true: evaluate it every 0.1 s until it is true (for up to two minutes).
        """
        code = (f"import json, time; from distributed import Client; client = Client({self.address!r}, timeout=30)\n"
                f"deadline = time.monotonic() + 120\n"
                f"while not (answer := {expression}) and {until_true} and time.monotonic() < deadline:\n"
                f"    time.sleep(0.1)\n"
                f"print(json.dumps(answer))")
        result = subprocess.run([str(self.python), "-c", code], capture_output=True, text=True, timeout=180)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.strip().splitlines()[-1])

    def task_prefixes(self) -> set[str]:
        return set(self.ask("client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.task_prefixes))"))

    def stop(self) -> None:
        """Workers first, then the scheduler (a worker whose scheduler went first waits to reconnect)."""
        for process in reversed(self.processes):
            if process.poll() is None:
                os.kill(process.pid, signal.SIGTERM)
        for process in reversed(self.processes):
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture(scope="module")
def cluster(ready_project, tmp_path_factory):
    started = Cluster(ready_project, tmp_path_factory.mktemp("dask-cluster"))
    yield started
    started.stop()


def set_params(project: Path, **lines: str) -> None:
    """Replace whole lines of params.yaml: key (as it appears, indented) -> new value."""
    text = (project / "params.yaml").read_text()
    for key, value in lines.items():
        text, count = re.subn(rf"(?m)^(\s*{key}:)[^#\n]*?(\s*#|$)", rf"\g<1> {value}\g<2>", text, count=1)
        assert count == 1, key
    (project / "params.yaml").write_text(text)


def environment(project: Path, scheduler: str | None) -> dict:
    """The project's environment first on PATH (dvc runs `python -m ...`), and DASK_SCHEDULER_ADDRESS
    set to `scheduler`, or unset."""
    env = {name: value for name, value in os.environ.items() if name != "DASK_SCHEDULER_ADDRESS"}
    env["PATH"] = f"{project / '.venv/bin'}:{env['PATH']}"
    return env | ({"DASK_SCHEDULER_ADDRESS": scheduler} if scheduler else {})


def repro(project: Path, scheduler: str | None, *targets: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(project / ".venv/bin/dvc"), "repro", *targets], cwd=project, capture_output=True,
                          text=True, env=environment(project, scheduler), timeout=600)


def roc_auc(project: Path) -> float:
    return json.loads((project / "metrics.json").read_text())["roc_auc"]


@pytest.fixture(scope="module")
def local_run(reproduced_project) -> dict:
    """What the local engine makes of the sample data: ROC AUC, the data profile and the schema, read
    from the session's reproduced default project (conftest.reproduced_project), whose pipeline the
    other test modules share, rather than from a repro of its own."""
    project, _ = reproduced_project
    assert json.loads((project / "reports/train_info.json").read_text())["engine"] == "local"
    return {"roc_auc": roc_auc(project), "profile": (project / "reports/data_profile.json").read_text(),
            "schema": (project / "data/processed/schema.json").read_text(), "counts": counts_table(project)}


def counts_table(project: Path) -> str:
    """data/processed/counts.parquet (count_features.py) as sorted CSV text."""
    return run([str(project / ".venv/bin/python"), "-c", "import pandas as p; print(p.read_parquet('data/processed/"
                "counts.parquet').sort_values(['column', 'value']).to_csv(index=False))"], cwd=project).stdout


def shard_main_table(project: Path, shards: int) -> None:
    """data/raw/interactions.csv as a folder of `shards` CSV files (the same rows, in order), tracked."""
    table = project / "data/raw/interactions.csv"
    header, *rows = table.read_text().splitlines(keepends=True)
    folder = project / "data/raw/interactions"
    folder.mkdir()
    size = -(-len(rows) // shards)
    for number in range(shards):
        (folder / f"part-{number}.csv").write_text(header + "".join(rows[number * size:(number + 1) * size]))
    table.unlink()
    set_params(project, main_table="interactions")
    run([str(project / ".venv/bin/dvc"), "add", "--quiet", "data/raw"], cwd=project)


# --- The pipeline on a cluster ------------------------------------------------------------
def test_pipeline_runs_on_a_scheduler_and_two_workers(cluster, local_run, project_copy):
    # given a project set to the dask engine, its main table in three shards (three partitions),
    # and DASK_SCHEDULER_ADDRESS naming a running cluster
    set_params(project_copy, engine="dask")
    shard_main_table(project_copy, 3)
    # when make repro runs the pipeline and the gate
    result = subprocess.run(["make", "repro"], cwd=project_copy, capture_output=True, text=True,
                            env=environment(project_copy, cluster.address), timeout=600)
    output = result.stdout + result.stderr
    # then all four stages ran and the gate passed, with no traceback or distributed log chatter
    assert result.returncode == 0, output
    assert stages_run(output) == STAGES
    assert "gate passed: roc_auc" in output
    assert "Traceback" not in output and "distributed." not in output
    # and the scheduler ran the work: preprocess, training, predictions, cross-validation
    assert cluster.task_prefixes() >= DASK_TASKS
    assert sorted(path.name for path in (project_copy / "data/processed/train.parquet").iterdir()) == [
        "part.00000.parquet", "part.00001.parquet", "part.00002.parquet"]
    # and the data is the local engine's (same profile, same categories), the model scores as the
    # local engine's does, and is an ordinary xgboost model
    assert (project_copy / "reports/data_profile.json").read_text() == local_run["profile"]
    assert (project_copy / "data/processed/schema.json").read_text() == local_run["schema"]
    assert counts_table(project_copy) == local_run["counts"]  # the count features' counts
    assert abs(roc_auc(project_copy) - local_run["roc_auc"]) <= 0.02
    assert json.loads((project_copy / "reports/train_info.json").read_text())["engine"] == "dask"
    kind = run([str(project_copy / ".venv/bin/python"), "-c", "import joblib; model = joblib.load("
                "'models/model.joblib'); print(type(model).__module__, type(model).__name__)"], cwd=project_copy)
    assert kind.stdout.split() == ["xgboost.sklearn", "XGBClassifier"]


@pytest.mark.e2e  # a Dask LocalCluster in each stage
def test_pipeline_runs_on_a_local_cluster_without_an_address(local_run, project_copy):
    # given the dask engine, no compute.scheduler and no DASK_SCHEDULER_ADDRESS
    set_params(project_copy, engine="dask")
    # when the pipeline runs
    result = repro(project_copy, None)
    # then each stage started its own LocalCluster and did its work there
    assert result.returncode == 0, result.stderr
    assert stages_run(result.stdout) == STAGES
    assert "Traceback" not in result.stderr and "distributed." not in result.stdout + result.stderr
    assert (project_copy / "data/processed/train.parquet").is_dir()  # parts: only the dask engine writes these
    assert json.loads((project_copy / "reports/train_info.json").read_text())["engine"] == "dask"
    assert abs(roc_auc(project_copy) - local_run["roc_auc"]) <= 0.02
    assert json.loads((project_copy / "reports/sanity.json").read_text())["passed"]


def test_a_regression_target_runs_on_the_cluster_as_the_local_engine_decides_it(cluster, project_copy):
    # given the penguins table (tools/regression_data.py: a numeric target, 340 rows, no lookups)
    # and what the local engine's preprocess makes of it
    use_in(project_copy)
    stage = [str(project_copy / ".venv/bin/python"), "-m"]
    run([*stage, f"{MODULE}.stages.preprocess"], cwd=project_copy, env=environment(project_copy, None))
    local = {name: (project_copy / name).read_text() for name in ("reports/data_profile.json",
                                                                    "data/processed/schema.json")}
    # when every stage runs again on the running cluster (the stages directly: dvc's runs are the
    # classification tests' job; this one is about the engine's regression seam)
    set_params(project_copy, engine="dask")
    env = environment(project_copy, cluster.address)
    output = "".join(run([*stage, f"{MODULE}.stages.{name}"], cwd=project_copy, env=env).stdout
                     for name in ("preprocess", "train", "evaluate", "sanity_check"))
    # then the task, the checks and the split are the local engine's: the same schema and profile
    # (target summary of the same training rows), written as parquet parts
    assert "preprocess: task regression (auto: target 'body_mass_g'" in output
    assert (project_copy / "data/processed/train.parquet").is_dir()
    for name, text in local.items():
        assert (project_copy / name).read_text() == text, name
    # and the workers trained a regressor, saved as an ordinary XGBRegressor, that evaluate scored
    # with regression's metrics and plots and that passes regression's sanity checks
    info = json.loads((project_copy / "reports/train_info.json").read_text())
    assert (info["engine"], info["task"]) == ("dask", "regression")
    kind = run([str(project_copy / ".venv/bin/python"), "-c", "import joblib; model = joblib.load("
                "'models/model.joblib'); print(type(model).__name__)"], cwd=project_copy)
    assert kind.stdout.split() == ["XGBRegressor"]
    metrics = json.loads((project_copy / "metrics.json").read_text())
    assert set(metrics) == {"rmse", "mae", "r2", "test_rows"} and metrics["r2"] > 0.8
    assert (project_copy / "reports/plots/predicted_vs_actual.csv").stat().st_size > 100
    sanity = json.loads((project_copy / "reports/sanity.json").read_text())
    assert sanity["passed"] and "beats_mean_baseline" in {check["name"] for check in sanity["checks"]}


WITNESSES = """import json, pandas as pd
schema = json.load(open("data/processed/schema.json"))
train, test = (pd.read_parquet(f"data/processed/{name}.parquet") for name in ("train", "test"))
people = schema["categories"]["person"]
print(json.dumps({"shared": sorted({people[code] for code in train["person"]} & {people[code] for code in test["person"]}),
                  "train_latest": float(train["surveyed_year"].max()), "test_earliest": float(test["surveyed_year"].min()),
                  "rows": [len(train), len(test)]}))"""


# Males.csv saved otherwise: gzip-compressed (one partition: it cannot be cut), or Parquet in row groups
# of 1,000 rows (a partition each), with the types the CSV reader gives.
SAVED_AS = {
    "Males.csv.gz": "import gzip, pathlib; raw = pathlib.Path('data/raw'); "
                    "(raw / 'Males.csv.gz').write_bytes(gzip.compress((raw / 'Males.csv').read_bytes()))",
    "Males.parquet": "import pyarrow.csv as c, pyarrow.parquet as q; "
                     "q.write_table(c.read_csv('data/raw/Males.csv'), 'data/raw/Males.parquet', row_group_size=1000)",
}


@pytest.mark.parametrize(("split", "column", "main", "parts"),
                         [("group", "nr", "Males.csv.gz", 1), ("time", "year", "Males.parquet", 5)])
def test_group_and_time_splits_on_the_cluster_are_the_local_engines(cluster, project_copy, split, column, main, parts):
    # given Males (545 men, a row a year over 1980-87) as the project's data, gzip-compressed or as
    # Parquet, split by man or by year; `person` and `surveyed` (tools/public_tables.py) show the
    # split in the processed files
    males(project_copy / "data/raw", with_split_witnesses=True)
    run([str(project_copy / ".venv/bin/python"), "-c", SAVED_AS[main]], cwd=project_copy)
    (project_copy / "data/raw/Males.csv").unlink()
    run(["make", "own-data", f"MAIN={main}", "TARGET=union"], cwd=project_copy)
    set_params(project_copy, split=split, **{f"{split}_column": column})
    stage = [str(project_copy / ".venv/bin/python"), "-m", f"{MODULE}.stages.preprocess"]
    witnesses = [str(project_copy / ".venv/bin/python"), "-c", WITNESSES]
    local_output = run(stage, cwd=project_copy, env=environment(project_copy, None)).stdout
    local = {name: (project_copy / name).read_text() for name in ("reports/data_profile.json",
                                                                    "data/processed/schema.json")}
    local_split = json.loads(run(witnesses, cwd=project_copy).stdout)
    # when preprocess runs again on the cluster
    set_params(project_copy, engine="dask")
    dask_output = run(stage, cwd=project_copy, env=environment(project_copy, cluster.address)).stdout
    # then both engines made the same split, schema and profile, written as parquet parts by the workers,
    # a part per partition of the main table
    assert len(list((project_copy / "data/processed/train.parquet").iterdir())) == parts
    for name, text in local.items():
        assert (project_copy / name).read_text() == text, name
    assert json.loads(run(witnesses, cwd=project_copy).stdout) == local_split
    # and no man is in both splits, or every test row is later than every training row
    assert f"(by {split} '{column}')" in local_output and f"(by {split} '{column}')" in dask_output
    assert sum(local_split["rows"]) == 4360
    if split == "group":
        assert local_split["shared"] == []
    else:
        assert local_split["train_latest"] < local_split["test_earliest"] == 1986.0


# --- Bad input ----------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_scheduler_fails_in_bounded_time_naming_the_setting(project_copy):
    # given the dask engine pointed at a port where no scheduler listens, with a short timeout
    nowhere = f"tcp://127.0.0.1:{free_port()}"
    set_params(project_copy, engine="dask", connect_timeout="3")
    stage = [str(project_copy / ".venv/bin/python"), "-m", f"{MODULE}.stages.preprocess"]
    # when preprocess runs with DASK_SCHEDULER_ADDRESS set, then with compute.scheduler only
    by_variable = subprocess.run(stage, cwd=project_copy, capture_output=True, text=True,
                                 env=environment(project_copy, nowhere), timeout=120)
    set_params(project_copy, scheduler=f'"{nowhere}"')
    by_param = subprocess.run(stage, cwd=project_copy, capture_output=True, text=True,
                              env=environment(project_copy, None), timeout=120)
    # then each fails with one line naming the setting that holds the address, and writes nothing
    for result, setting in ((by_variable, "DASK_SCHEDULER_ADDRESS"), (by_param, "params.yaml: compute.scheduler")):
        assert result.returncode == 1
        assert result.stderr.startswith(f"error: {setting}: cannot reach the Dask scheduler at '{nowhere}' within 3s")
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (project_copy / "data/processed").exists()
    assert not (project_copy / "reports/data_profile.json").exists()


# One check made on each partition (a row number counted across partitions), one on the whole table.
DASK_CASES = ["missing-label", "lookup-key-matches-nothing"]


@pytest.mark.parametrize("case", DASK_CASES)
def test_bad_data_gives_the_local_engines_errors(cluster, project_copy, case):
    # given a project on the dask engine whose sample data has one of test_bad_data's defects
    table, breakage, message = CASES[case]
    path = project_copy / "data/raw" / table
    path.chmod(0o644)
    edit_csv(path, breakage)
    set_params(project_copy, engine="dask")
    # when preprocess runs on the cluster
    result = repro(project_copy, cluster.address, "preprocess")
    # then the error is the local engine's, in one line, and nothing is written
    assert result.returncode != 0
    assert f"error: data/raw/{message}" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (project_copy / "data/processed").exists()
    assert [path.name for path in (project_copy / "data").iterdir() if path.name.startswith(".processed")] == []


def test_a_worker_killed_during_training_fails_clearly_and_saves_nothing(cluster, project_copy):
    # given processed data and a training long enough to interrupt (last in this module: it costs
    # the shared cluster a worker, which the cluster fixture's finalizer does not mind)
    set_params(project_copy, engine="dask", early_stopping_rounds="null", n_estimators="5000")
    env = environment(project_copy, cluster.address)
    run([str(project_copy / ".venv/bin/python"), "-m", f"{MODULE}.stages.preprocess"], cwd=project_copy, env=env)
    training = subprocess.Popen([str(project_copy / ".venv/bin/python"), "-m", f"{MODULE}.stages.train"],
                                cwd=project_copy, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
    # when the worker that runs xgboost's training task is killed (the scheduler says which)
    busy = ("next(iter(client.run_on_scheduler(lambda dask_scheduler: [w.pid for w in "
            "dask_scheduler.workers.values() if any(t.prefix.name == 'xgboost-training' for t in w.processing)] or [0])))")
    try:
        pid = cluster.ask(busy, until_true=True)
        assert pid in [process.pid for process in cluster.processes], "training never started on a worker"
        os.kill(pid, signal.SIGKILL)
        _, stderr = training.communicate(timeout=300)
    finally:
        if training.poll() is None:  # the test failed before the stage did: stop it too
            training.kill()
            training.communicate()
    # then train fails with one line that says what happened, and leaves no model behind
    assert training.returncode == 1
    assert stderr.startswith("error: a Dask worker was lost during training"), stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert not (project_copy / "models/model.joblib").exists()
    assert not (project_copy / "reports/train_info.json").exists()
    assert [path.name for path in (project_copy / "models").glob(".*")] == []
