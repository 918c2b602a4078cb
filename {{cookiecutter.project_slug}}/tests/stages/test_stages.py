"""The stages, in-process, on a tiny project of their own: each reads params.yaml and its
inputs and writes its outputs; bad data stops preprocess with one line and nothing written."""

import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

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


def written_files(project: Path) -> set[str]:
    """What the stages wrote: every file under the project but its raw data and params.yaml."""
    return {
        str(path.relative_to(project))
        for path in project.rglob("*")
        if path.is_file() and path.name != "params.yaml" and "raw" not in path.parts
    }


BAD_PARAMS = {  # id: (stage that reads it first, section, key, value, the key the error names)
    "preprocess-test-size": (preprocess, "preprocess", "test_size", "0.2", "preprocess.test_size"),
    "train-trees": (train, "xgboost", "n_estimators", -5, "train.xgboost.n_estimators"),
    "train-unknown-argument": (train, "xgboost", "n_estimator", 100, "train.xgboost.n_estimator"),
    "evaluate-curve-points": (evaluate, "evaluate", "curve_points", 0, "evaluate.curve_points"),
    "sanity-folds": (sanity_check, "sanity", "cv_folds", 1, "sanity.cv_folds"),
}


@pytest.mark.parametrize(("stage", "section", "key", "value", "named"), BAD_PARAMS.values(), ids=BAD_PARAMS.keys())
def test_bad_params_stop_a_stage_before_it_writes_anything(tiny_project, stage, section, key, value, named):
    # given a tiny project whose earlier stages ran, and then one bad value in params.yaml
    stages = [preprocess, train, evaluate, sanity_check]
    for earlier in stages[: stages.index(stage)]:
        earlier.main()
    before = {name: (tiny_project / name).read_bytes() for name in written_files(tiny_project)}
    params = yaml.safe_load((tiny_project / "params.yaml").read_text())
    (params["train"] if section == "xgboost" else params)[section][key] = value
    (tiny_project / "params.yaml").write_text(yaml.safe_dump(params))
    # when the stage that reads it runs
    with pytest.raises(PipelineError) as error:
        stage.main()
    # then it stops on one line naming the key, and no file was written or changed
    assert len(str(error.value).splitlines()) == 1 and str(error.value).startswith(f"params.yaml: {named} ")
    assert {name: (tiny_project / name).read_bytes() for name in written_files(tiny_project)} == before


def set_params(project: Path, section: str, **values) -> None:
    params = yaml.safe_load((project / "params.yaml").read_text())
    params[section] |= values
    (project / "params.yaml").write_text(yaml.safe_dump(params))


@pytest.mark.parametrize("table", ["/tmp/interactions.csv", "../../interactions.csv", "../raw-old/interactions.csv"])
def test_a_table_outside_raw_dir_is_refused_as_untracked(tiny_project, table):
    # given a main table named outside data/raw, which DVC does not track (it exists: the copy is read)
    set_params(tiny_project, "data", main_table=table)
    # when preprocess runs, then it refuses it in one line naming the setting, and writes nothing
    with pytest.raises(PipelineError, match=f"params.yaml: data.main_table '{re.escape(table)}' lies outside"):
        preprocess.main()
    assert not (tiny_project / "data/processed").exists()


def test_preprocess_says_what_it_decided(tiny_project, capsys):
    # given auto columns, a group split and duplicate rows to warn about
    main = tiny_project / "data/raw/interactions.csv"
    lines = main.read_text().splitlines(keepends=True)
    main.write_text("".join(lines + lines[1:4]))  # three rows twice
    set_params(tiny_project, "data", numeric_columns="auto", categorical_columns="auto", duplicates="warn")
    set_params(tiny_project, "preprocess", split="group", group_column="user")
    # when preprocess runs
    preprocess.main()
    # then it prints the columns auto chose, the duplicates and the split
    out, err = capsys.readouterr()
    assert "preprocess: columns auto: numeric city, age, song_length" in out
    assert "preprocess: columns auto: categorical source_type, genre" in out
    assert "left out 'user' (preprocess.group_column); 'song' (a join key); 'target' (the target)" in out
    repeated = int(pd.read_csv(main).duplicated().sum())  # pandas' own count: the tiny table repeats some too
    assert repeated >= 3
    assert f"warning: data/raw/interactions.csv: {repeated} of 403 rows ({repeated / 403:.1%}) repeat an earlier" in err
    assert re.search(r"preprocess: \d+ train / \d+ test rows \(by group 'user'\)", out)
