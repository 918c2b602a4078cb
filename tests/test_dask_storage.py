"""compute.storage: s3://..., for real: a Dask cluster's workers read their data from S3.

A moto_server on 127.0.0.1 is the S3 endpoint, named in the project's DVC remote as a user
names it (`endpointurl`); the keys are in the stage's environment only. The scheduler and
workers are test_dask's real `dask scheduler` / `dask worker` processes, started in a folder of
their own and without AWS keys in their environment. What proves the workers read from S3:
the bucket holds one object per file they read (the main table's CSV, each processed parquet
file), keyed by the file's own sha256, and the S3 server's log shows each read back (the stages
only upload them; workers alone read them).
"""

import hashlib
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from conftest import copy_project, run, stages_run
from s3_server import IAM_BUCKET
from test_dask import MODULE, STAGES, Cluster, environment, set_params


@pytest.fixture(scope="module")
def cluster(ready_project, tmp_path_factory):
    """A scheduler and two workers whose environment holds no AWS keys (they can only use the
    stage's), and whose temporary folder is their own (no copy fetched by an earlier run is there)."""
    folder = tmp_path_factory.mktemp("dask-cluster")
    saved = {name: os.environ.pop(name) for name in list(os.environ) if name.startswith("AWS_") or name == "TMPDIR"}
    os.environ["TMPDIR"] = str(folder)
    try:
        started = Cluster(ready_project, folder)
    finally:
        del os.environ["TMPDIR"]
        os.environ.update(saved)
    yield started
    started.stop()


def s3_remote(project: Path, bucket: str, endpoint: str) -> None:
    """The project's default DVC remote on the S3 server, as `dvc remote add/modify` writes it."""
    dvc = str(project / ".venv/bin/dvc")
    run([dvc, "remote", "add", "--force", "--default", "storage", f"s3://{bucket}/dvc"], cwd=project)
    run([dvc, "remote", "modify", "storage", "endpointurl", endpoint], cwd=project)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_back(log: Path, bucket: str) -> set[str]:
    """Keys of `bucket` that the S3 server's log shows read (GET) since it started (werkzeug's log
    lines: '"GET /bucket/key HTTP/1.1" 206 -', the request in ANSI colours for some statuses)."""
    return set(re.findall(rf'"(?:\x1b\[[0-9;]*m)*GET /{bucket}/([^?\s]+)\S* HTTP', log.read_text()))


def test_workers_read_their_data_from_s3(cluster, s3_server, s3_bucket, ready_project, tmp_path):
    # given a project on the dask engine whose compute.storage is a prefix of a bucket on the S3
    # server that its DVC remote names, and the S3 keys in the stages' environment only
    project = copy_project(ready_project, tmp_path)
    s3_remote(project, s3_bucket, s3_server.endpoint)
    set_params(project, engine="dask", storage=f'"s3://{s3_bucket}/dask-data"')
    env = environment(project, cluster.address) | s3_server.env()
    # when make repro runs the pipeline and the gate on the cluster
    result = subprocess.run(["make", "repro"], cwd=project, capture_output=True, text=True, env=env, timeout=600)
    output = result.stdout + result.stderr
    # then every stage ran and the gate passed, without a traceback
    assert result.returncode == 0, output
    assert stages_run(output) == STAGES
    assert "gate passed: roc_auc" in output and "Traceback" not in output
    # and the bucket holds the main table and each processed parquet file under its content's
    # hash, and nothing else: the parts preprocess's workers wrote there were fetched into
    # data/processed (a local folder that DVC tracks, as ever) and deleted
    splits = [project / "data/processed" / name for name in ("train.parquet", "test.parquet")]
    files = [project / "data/raw/interactions.csv", *(part for split in splits for part in split.glob("*.parquet"))]
    staged = {f"dask-data/{sha256(file)}/{file.name}" for file in files}
    assert len(files) == 3 and {key for key in s3_server.keys(s3_bucket) if key.startswith("dask-data/")} == staged
    # and the workers read every one of them from S3
    assert read_back(s3_server.log, s3_bucket) >= staged

    # when evaluate runs again with the same model and data, its workers reading the workspace paths
    metrics = json.loads((project / "metrics.json").read_text())
    set_params(project, storage='""')
    run([str(project / ".venv/bin/python"), "-m", f"{MODULE}.stages.evaluate"], cwd=project, env=env)
    # then the metrics are the same: the staged copies are the splits, byte for byte
    assert json.loads((project / "metrics.json").read_text()) == metrics


def test_bad_data_read_from_s3_is_named_as_in_the_workspace(cluster, s3_server, s3_bucket, ready_project, tmp_path):
    # given a project on the dask engine with compute.storage on S3, whose main table's last row holds
    # a byte that is not UTF-8: past the first MB that the stage reads itself to type the columns, so
    # the check that finds it runs where the rest of the file is read: on a worker
    project = copy_project(ready_project, tmp_path)
    path = project / "data/raw/interactions.csv"
    lines = path.read_bytes().rstrip(b"\n").split(b"\n")
    assert len(b"\n".join(lines[:-1])) > 1 << 20, "the sample's main table no longer reaches past its head"
    lines[-1] = lines[-1].replace(b",", b"\xe9,", 1)
    path.chmod(0o644)
    path.write_bytes(b"\n".join(lines) + b"\n")
    column = lines[0].split(b",")[0].decode().strip('"')
    s3_remote(project, s3_bucket, s3_server.endpoint)
    set_params(project, engine="dask", storage=f'"s3://{s3_bucket}/dask-data"')
    # when preprocess runs on the cluster, its workers reading the table's copy from S3
    result = subprocess.run([str(project / ".venv/bin/python"), "-m", f"{MODULE}.stages.preprocess"], cwd=project,
                            capture_output=True, text=True, env=environment(project, cluster.address) | s3_server.env(),
                            timeout=300)
    # then the error is the local engine's, naming the file as in the workspace (not the worker's
    # copy that it was read from) and the row counted from the table's start, in one line, and
    # nothing is written
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: data/raw/interactions.csv: column {column!r} holds text that is not "
                                    f"valid utf-8 at data row {len(lines) - 1}"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert f"dask-data/{sha256(path)}/{path.name}" in read_back(s3_server.log, s3_bucket)
    assert not (project / "data/processed").exists()


@pytest.mark.parametrize("problem", ["missing-bucket", "closed-endpoint", "refused-key"])
def test_an_unusable_storage_fails_in_one_line_naming_the_setting(s3_server, s3_iam_server, ready_project, tmp_path,
                                                                  problem):
    # given the dask engine with compute.storage in a bucket that does not exist, behind an endpoint
    # where nothing listens, or on a server that does not know the key in the environment
    project = copy_project(ready_project, tmp_path)
    server = s3_iam_server if problem == "refused-key" else s3_server
    endpoint = "http://127.0.0.1:9" if problem == "closed-endpoint" else server.endpoint
    bucket = IAM_BUCKET if problem == "refused-key" else "no-such-bucket"
    s3_remote(project, bucket, endpoint)
    set_params(project, engine="dask", storage=f'"s3://{bucket}/dask-data"')
    env = environment(project, None) | server.env()
    if problem == "refused-key":
        env["AWS_ACCESS_KEY_ID"] = "AKIAUNKNOWNKEY000000"
    # when preprocess runs
    result = subprocess.run([str(project / ".venv/bin/python"), "-m", f"{MODULE}.stages.preprocess"], cwd=project,
                            capture_output=True, text=True, env=env, timeout=120)
    # then it fails before starting a cluster, with one line naming the setting, the endpoint and
    # the cause, and writes nothing
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: params.yaml: compute.storage s3://{bucket}/dask-data (at {endpoint}, "
                                    "the DVC remote's endpointurl): "), result.stderr
    cause = {"missing-bucket": f"bucket {bucket!r} does not exist",
             "closed-endpoint": "cannot reach it (Could not connect",
             "refused-key": "refused (InvalidAccessKeyId) for the key 'AKIAUNKNOWNKEY000000' from the environment"}
    assert cause[problem] in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (project / "data/processed").exists()
