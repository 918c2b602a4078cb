"""The generated project as a house: a feature or a model is one file's edit, the report and the
cluster's address are no stage's dependency, and `make lint` keeps the rooms layered.

Each test works on a copy of the session's reproduced default project (conftest). The copies
share the original's .venv, whose package is installed in editable mode from the original's src/:
a test that edits src/ puts the copy's own src/ first on PYTHONPATH, so the stages import it.
"""

import json
from pathlib import Path

import pytest
from conftest import copy_project, run, stages_run

MODULE = "music_recommendation"  # the default bake's package
GIT_IDENTITY = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com", "GIT_COMMITTER_NAME": "Test",
                "GIT_COMMITTER_EMAIL": "test@example.com"}


@pytest.fixture
def project(reproduced_project, tmp_path) -> Path:
    copy = copy_project(reproduced_project[0], tmp_path)
    run(["git", "add", "--all"], cwd=copy)
    run(["git", "commit", "--quiet", "--allow-empty", "-m", "Reproduced"], cwd=copy, env=GIT_IDENTITY)
    return copy


def own_src(project: Path) -> dict:
    return {"PYTHONPATH": str(project / "src")}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{path}: expected one {old!r}"
    path.write_text(text.replace(old, new))


def test_a_feature_added_in_features_py_alone_is_trained_and_scored(project):
    # given only features.py changed: add_features() computes a feature of its own
    edit(project / f"src/{MODULE}/features.py", '    """\n    return rows\n',
         '    """\n    rows["song_minutes"] = rows["song_length"] / 60_000\n    return rows\n')
    # when the pipeline runs
    result = run(["make", "repro"], cwd=project, env=own_src(project))
    # then preprocess and everything after it ran, and the model learnt from the feature
    assert stages_run(result.stdout) == ["preprocess", "train", "evaluate", "sanity-check", "bundle"]
    schema = json.loads((project / "data/processed/schema.json").read_text())
    assert "song_minutes" in schema["numeric"]
    assert "song_minutes" in (project / "reports/plots/feature_importance.csv").read_text()


def test_a_model_added_in_models_py_alone_trains_as_an_experiment(project):
    # given only models.py changed: a decision tree builder in MODELS
    edit(project / f"src/{MODULE}/models.py", "MODELS = {\n", '''def _decision_tree(arguments: dict, seed: int):
    from sklearn.tree import DecisionTreeClassifier  # here: a stage imports only its model's library

    return DecisionTreeClassifier(**arguments, random_state=seed)


MODELS = {
    "decision_tree": _decision_tree,
''')
    run(["git", "commit", "--quiet", "--all", "-m", "A decision tree"], cwd=project, env=GIT_IDENTITY)
    # when it is tried as an experiment, its section added on the command line
    result = run(["make", "exp", "SET=train.model=decision_tree +train.decision_tree.max_depth=6"], cwd=project,
                 env=own_src(project))
    # then train, evaluate and sanity-check ran with it
    assert stages_run(result.stdout) == ["train", "evaluate", "sanity-check", "bundle"]
    assert json.loads((project / "reports/train_info.json").read_text())["model"] == "decision_tree"
    assert json.loads((project / "metrics.json").read_text())["roc_auc"] > 0.6


def test_rewording_the_report_or_moving_the_cluster_reruns_nothing(project):
    # given a reworded report section and another Dask scheduler address and storage
    edit(project / f"src/{MODULE}/report/drift.py", '"## Data drift"', '"## How the data moved"')
    params = project / "params.yaml"
    edit(params, '  scheduler: ""', '  scheduler: "tcp://10.0.0.7:8786"')
    edit(params, '  storage: ""', '  storage: "s3://elsewhere/dask"')
    # then DVC sees nothing to rerun
    status = run([".venv/bin/dvc", "status"], cwd=project)
    assert status.stdout.strip() == "Data and pipelines are up to date."
    # while a stage's own code is a dependency (the control: dvc status does see an edit)
    edit(project / f"src/{MODULE}/evaluation/checks.py", '"""The sanity checks:', '"""The sanity checks (edited):')
    assert "sanity-check" in run([".venv/bin/dvc", "status"], cwd=project).stdout


def test_make_lint_refuses_an_import_that_climbs_the_layers(project):
    # given the shared core importing a stage: a dependency pointing up
    shortcut = project / f"src/{MODULE}/core/shortcut.py"
    shortcut.write_text(f'"""A shortcut."""\n\nfrom {MODULE}.stages import train\n\nTRAIN = train\n')
    # when make lint runs
    result = run(["make", "lint"], cwd=project, check=False)
    # then import-linter names the broken contract and the import
    assert result.returncode != 0
    assert "BROKEN" in result.stdout and f"{MODULE}.core.shortcut -> {MODULE}.stages.train" in result.stdout
    # (the same project without the shortcut passes: tests/test_lint.py lints every combination)
