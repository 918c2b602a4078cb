"""The stages, in-process, on a tiny project of their own: each reads params.yaml and its
inputs and writes its outputs; bad data stops preprocess with one line and nothing written."""

import json
import re

import pytest

from {{ cookiecutter.module_name }}.core.errors import PipelineError
from {{ cookiecutter.module_name }}.stages import bundle, evaluate, preprocess, sanity_check, train

from conftest import write_tiny_project


@pytest.fixture
def tiny_project(tmp_path, monkeypatch, tables):
    """A folder laid out as this project, with the tiny tables as its raw data; the working directory."""
    write_tiny_project(tmp_path, tables)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_stages_write_what_dvc_yaml_declares(tiny_project):
    for stage in (preprocess, train, evaluate, sanity_check, bundle):
        stage.main()
    schema = json.loads((tiny_project / "data/processed/schema.json").read_text())
    assert schema["features"][-1] == "user_count"
    for output in (
        "data/processed/train.parquet",
        "data/processed/counts.parquet",
        "models/model.joblib",
        "reports/plots/roc.csv",
        "reports/confusion_matrix.png",
        "reports/training/plots",
        "reports/prediction_distribution.json",
        "data/raw_test_rows.parquet",
        "models/bundle/bundle.json",
        "models/bundle/reference/predictions.parquet",
    ):
        assert (tiny_project / output).exists(), output
    assert json.loads((tiny_project / "metrics.json").read_text())["roc_auc"] > 0.8
    assert json.loads((tiny_project / "reports/sanity.json").read_text())["passed"]


BAD_DATA = {  # id: (file in data/raw, how to break its text, what the error says)
    "missing-target": (
        "interactions.csv",
        lambda text: text.replace(",target", ",label", 1),
        "data/raw/interactions.csv: target column 'target' is missing",
    ),
    "text-in-numbers": (
        "members.csv",
        lambda text: re.sub(r"(?m)^(u2,\d+),[\d.]+$", r"\1,old", text),
        "data/raw/members.csv: column 'age' should be numeric but has text 'old'",
    ),
    "empty-file": ("songs.csv", lambda text: "", "data/raw/songs.csv: file is empty"),
}


@pytest.mark.parametrize(("name", "breakage", "message"), BAD_DATA.values(), ids=BAD_DATA.keys())
def test_bad_data_stops_preprocess_with_one_line_and_writes_nothing(tiny_project, name, breakage, message):
    path = tiny_project / "data/raw" / name
    path.write_text(breakage(path.read_text()))
    with pytest.raises(PipelineError, match=re.escape(message)):
        preprocess.main()
    assert not (tiny_project / "data/processed").exists() and not (tiny_project / "reports").exists()
    assert [path.name for path in (tiny_project / "data").iterdir()] == ["raw"]  # no half-written folder
