"""storage.py: which compute.storage values are accepted, and what the workers get for the workspace."""

import pytest

from {{ cookiecutter.module_name }}.core.errors import PipelineError
from {{ cookiecutter.module_name }}.engine.dask.storage import WorkerStorage, storage_url, worker_storage


@pytest.mark.parametrize("url", ["", "s3://team-data", "s3://team-data/dask/stage", "s3://a.b-c/x_y/z.1/"])
def test_empty_or_an_s3_url_is_accepted(url):
    assert storage_url({"compute": {"engine": "dask", "storage": url}}) == url


@pytest.mark.parametrize(
    "url",
    ["/srv/shared", "gs://bucket/prefix", "s3://Upper/prefix", "s3://ab", "s3://bucket/with space", "s3://", 42],
)
def test_other_values_fail_naming_the_setting(url):
    with pytest.raises(PipelineError, match=r"^params.yaml: compute.storage is .*: use s3://bucket/prefix"):
        storage_url({"compute": {"engine": "dask", "storage": url}})


def test_no_storage_gives_the_workers_absolute_workspace_paths(tmp_path, monkeypatch):
    # given a split written as a folder of parts, and the stage running in the project folder
    split = tmp_path / "data/processed/train.parquet"
    split.mkdir(parents=True)
    for name in ("part.00001.parquet", "part.00000.parquet"):
        (split / name).write_bytes(b"PAR1")
    monkeypatch.chdir(tmp_path)
    # when storage is left empty (or the engine is local, whatever storage says)
    for params in ({"compute": {"engine": "dask", "storage": ""}}, {"compute": {"storage": "s3://not-checked"}}):
        storage = worker_storage(params)
        files = storage.files(split.relative_to(tmp_path))
        # then the workers open the parts by absolute path, in order, with no s3fs settings
        assert storage == WorkerStorage()
        assert files.names == [str(split / "part.00000.parquet"), str(split / "part.00001.parquet")]
        assert files.options == {}
