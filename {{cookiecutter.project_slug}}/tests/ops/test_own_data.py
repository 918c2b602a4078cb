"""make own-data (ops/own_data.py): from the sample to your table in one step, params.yaml's comments kept."""

from pathlib import Path

import pandas as pd
import pytest
import yaml

from {{ cookiecutter.module_name }}.core.errors import PipelineError
from {{ cookiecutter.module_name }}.ops.gate import write_baseline
from {{ cookiecutter.module_name }}.ops.own_data import set_value, switch
from {{ cookiecutter.module_name }}.sample_data import generate, write

PROJECT = Path(__file__).resolve().parents[2]  # this project's params.yaml and baseline.txt


@pytest.fixture
def sample_project(tmp_path, monkeypatch):
    """A folder with this project's params.yaml and baseline.txt and the sample data in data/raw."""
    (tmp_path / "params.yaml").write_text((PROJECT / "params.yaml").read_text())
    write_baseline(0.75, tmp_path / "baseline.txt")
    write(generate(300, seed=1), tmp_path / "data/raw")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(("target", "task", "metric", "floor"), [("churned", "classification", "roc_auc", "0.55000"),
                                                                 ("spend", "regression", "r2", "0.05000")])  # fmt: skip
def test_switching_points_params_at_the_table_and_keeps_every_comment(sample_project, target, task, metric, floor):
    # given the user's table in data/raw beside the sample's
    pd.DataFrame({"spend": [1.5, 2.25, 7.0, 3.5] * 10, "churned": ["no", "yes"] * 20}).to_csv(
        sample_project / "data/raw/customers.csv", index=False
    )
    before = (sample_project / "params.yaml").read_text()
    # when the project switches to it
    done = switch("customers.csv", target, Path("params.yaml"), Path("baseline.txt"))
    # then the sample's tables are gone, yours stays, params.yaml points at it with auto columns and
    # no KKBox settings, the gate metric fits the task, and the floor only beats chance
    assert sorted(path.name for path in (sample_project / "data/raw").iterdir()) == ["customers.csv"]
    text = (sample_project / "params.yaml").read_text()
    params = yaml.safe_load(text)
    expected = {"main_table": "customers.csv", "target": target, "lookups": [], "count_columns": [], "drop_columns": []}
    assert {key: params["data"][key] for key in expected} == expected
    assert (params["data"]["numeric_columns"], params["data"]["categorical_columns"]) == ("auto", "auto")
    assert "sample" not in params["data"] and params["data"]["duplicates"] == "warn"
    assert params["gate"]["metric"] == metric and f"task {task}" in done[-1]
    assert (sample_project / "baseline.txt").read_text().splitlines()[-1] == floor
    comments = [line.split("#", 1)[1] for line in before.splitlines() if "#" in line and "sample" not in line]
    assert all(comment in text for comment in comments)


def test_a_table_not_in_raw_dir_or_a_missing_target_changes_nothing(sample_project):
    before = (sample_project / "params.yaml").read_text()
    with pytest.raises(PipelineError, match=r"MAIN='customers.csv': put your table in data/raw/ first"):
        switch("customers.csv", "churned", Path("params.yaml"), Path("baseline.txt"))
    with pytest.raises(PipelineError, match=r"interactions.csv: TARGET='churned' is not one of its columns"):
        switch("interactions.csv", "churned", Path("params.yaml"), Path("baseline.txt"))
    assert (sample_project / "params.yaml").read_text() == before
    assert len(list((sample_project / "data/raw").iterdir())) == 3


def test_values_are_written_escaped_and_comments_stay_in_their_column():
    text = "data:\n  main_table: a.csv            # the table\n  lookups:\n    - table: b.csv\n      key: id\n"
    edited = set_value(set_value(text, "data", "main_table", "odd: name #1.csv"), "data", "lookups", [])
    assert yaml.safe_load(edited) == {"data": {"main_table": "odd: name #1.csv", "lookups": []}}
    assert edited.splitlines()[1].endswith("# the table")
