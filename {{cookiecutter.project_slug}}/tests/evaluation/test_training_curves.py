"""Training curves: xgboost's loss per round, written with dvclive, read back and drawn against the base."""

from {{ cookiecutter.module_name }}.core.modeling import fit_model
from {{ cookiecutter.module_name }}.evaluation.training_curves import write_curves
from {{ cookiecutter.module_name }}.models import build_model
from {{ cookiecutter.module_name }}.report.curves import curve_tables, curves_section, this_branch_files

from conftest import split_xy


def fit(features, labels, train_params: dict):
    return fit_model(build_model(train_params), features, labels, train_params)


STOPPING = {
    "model": "xgboost",
    "seed": 0,
    "validation_share": 0.2,
    "xgboost": {"n_estimators": 500, "learning_rate": 0.3, "max_depth": 2, "early_stopping_rounds": 5},
}


def test_xgboost_curves_have_a_train_and_a_validation_loss_per_round(dataset, tmp_path):
    train, _, schema, _ = dataset
    model = fit(*split_xy(train, schema), STOPPING)
    summary = write_curves(model, "xgboost", tmp_path / "training")
    tables = curve_tables(this_branch_files(tmp_path / "training"))
    assert set(tables) == {"train/logloss", "validation/logloss"}
    rounds = len(model.evals_result()["validation_1"]["logloss"])
    assert list(tables["validation/logloss"]["step"]) == list(range(rounds)) and f"{rounds} rounds" in summary
    assert tables["validation/logloss"]["value"].tolist() == model.evals_result()["validation_1"]["logloss"]
    assert not (tmp_path / "training/dvc.yaml").exists()  # dvc.yaml of the project declares the plots


def test_a_random_forest_gets_a_note_instead_of_curves(dataset, tmp_path):
    train, _, schema, _ = dataset
    model = fit(*split_xy(train, schema), {"model": "random_forest", "seed": 0, "random_forest": {"n_estimators": 5}})
    summary = write_curves(model, "random_forest", tmp_path / "training")
    assert "not per iteration" in summary
    assert "not per iteration" in (tmp_path / "training/no_curves.txt").read_text()
    assert curve_tables(this_branch_files(tmp_path / "training")) == {}


def test_the_section_draws_this_branch_and_says_when_the_base_has_no_curves(dataset, tmp_path, monkeypatch):
    train, _, schema, _ = dataset
    monkeypatch.chdir(tmp_path)  # the section reads reports/training/ of the working directory
    write_curves(fit(*split_xy(train, schema), STOPPING), "xgboost")
    lines = curves_section(tmp_path, "no-such-branch", "main", lambda drawn: [str(path) for path in drawn.values()])
    assert (tmp_path / "training_curves.png").read_bytes()[:4] == b"\x89PNG"
    assert "_main has no training curves yet: only this branch's are shown._" in lines
