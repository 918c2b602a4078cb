"""Which engine the stages open (compute: in params.yaml); the dask engine itself runs in the
template's tests, on a real scheduler and workers."""

import pytest

from {{ cookiecutter.module_name }}.core.errors import PipelineError
from {{ cookiecutter.module_name }}.engine import compute_settings, open_engine
from {{ cookiecutter.module_name }}.engine.local import LocalEngine


def test_local_engine_is_the_default_and_opens_no_cluster(monkeypatch):
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    assert compute_settings({}) == {"engine": "local", "scheduler": "", "connect_timeout": 30}
    with open_engine({}) as engine:
        assert isinstance(engine, LocalEngine)


def test_dask_scheduler_address_variable_wins_over_params(monkeypatch):
    params = {"compute": {"engine": "dask", "scheduler": "tcp://from-params:8786"}}
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    assert compute_settings(params)["scheduler"] == "tcp://from-params:8786"
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "tcp://from-ci:8786")
    assert compute_settings(params)["scheduler"] == "tcp://from-ci:8786"
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "")  # set but empty, as CI passes an unset secret
    assert compute_settings(params)["scheduler"] == "tcp://from-params:8786"


@pytest.mark.parametrize(
    ("compute", "message"),
    [
        ({"engine": "spark"}, "compute.engine is 'spark'; choose local or dask"),
        ({"engine": "dask", "connect_timeout": 0}, "compute.connect_timeout is 0"),
        ({"engine": "dask", "connect_timeout": "soon"}, "compute.connect_timeout is 'soon'"),
    ],
)
def test_bad_compute_params_name_the_field(compute, message):
    with pytest.raises(PipelineError, match=message):
        compute_settings({"compute": compute})
