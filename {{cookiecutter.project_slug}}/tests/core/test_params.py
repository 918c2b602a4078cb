"""params.yaml's schema: the shipped file passes, and each bad value fails on one line naming its key."""
# ruff: noqa: E501 (the tables of cases below read best one case a line)

from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.module_name }}.core.errors import PipelineError
from {{ cookiecutter.module_name }}.core.params import load_params
from {{ cookiecutter.module_name }}.models import build_model

PROJECT = Path(__file__).resolve().parents[2]  # this project: its params.yaml is the starting point


@pytest.fixture
def write_params(tmp_path, monkeypatch):
    """Write this project's params.yaml, changed by `edit`, as ./params.yaml of a fresh folder."""
    monkeypatch.chdir(tmp_path)

    def write(edit) -> dict:
        params = yaml.safe_load((PROJECT / "params.yaml").read_text())
        edit(params)
        Path("params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
        return params

    return write


def one_line_error(**load) -> str:
    with pytest.raises(PipelineError) as error:
        load_params(Path("params.yaml"), **load)
    lines = str(error.value).splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_the_shipped_params_pass(write_params):
    write_params(lambda params: None)
    assert load_params(Path("params.yaml"), required=("data", "preprocess", "train", "evaluate", "sanity", "gate"))


def setting(*keys, value):
    """An edit that sets params[keys[0]][keys[1]]... to `value`."""

    def edit(params):
        section = params
        for key in keys[:-1]:
            section = section[key]
        section[keys[-1]] = value

    return edit


BAD_VALUES = {  # id: (keys, value, the start of the one line)
    "test-size-as-text": (("preprocess", "test_size"), "0.2", "params.yaml: preprocess.test_size is text '0.2'; it must be a number > 0 and < 1"),
    "test-size-above-one": (("preprocess", "test_size"), 1.5, "params.yaml: preprocess.test_size is 1.5; it must be a number > 0 and < 1"),
    "test-size-zero": (("preprocess", "test_size"), 0, "params.yaml: preprocess.test_size is 0; it must be a number > 0 and < 1"),
    "negative-trees": (("train", "xgboost", "n_estimators"), -5, "params.yaml: train.xgboost.n_estimators is -5; it must be a whole number >= 1"),
    "validation-share-one": (("train", "validation_share"), 1.0, "params.yaml: train.validation_share is 1.0; it must be a number > 0 and < 1"),
    "float-train-seed": (("train", "seed"), 42.5, "params.yaml: train.seed is 42.5; it must be a whole number >= 0"),
    "float-split-seed": (("preprocess", "seed"), 7.0, "params.yaml: preprocess.seed is 7.0; it must be a whole number >= 0"),
    "one-fold": (("sanity", "cv_folds"), 1, "params.yaml: sanity.cv_folds is 1; it must be a whole number >= 2"),
    "list-as-target": (("data", "target"), ["target", "msno"], "params.yaml: data.target is ['target', 'msno']; it must be a non-empty text"),
    "no-curve-points": (("evaluate", "curve_points"), 0, "params.yaml: evaluate.curve_points is 0; it must be a whole number >= 2"),
    "true-as-a-number": (("sanity", "min_test_share"), True, "params.yaml: sanity.min_test_share is True; it must be a number > 0 and < 1"),
    "unknown-task": (("data", "task"), "regresion", "params.yaml: data.task is text 'regresion'; it must be one of auto, classification, regression"),
    "unknown-engine": (("compute", "engine"), "spark", "params.yaml: compute.engine is text 'spark'; it must be one of local, dask"),
    "unknown-encoding": (("data", "encoding"), "utf-9", "params.yaml: data.encoding is text 'utf-9'; it must be a text encoding Python knows"),
    "lookup-without-key": (("data", "lookups"), [{"table": "members.csv"}], "params.yaml: data.lookups[0].key is missing; it must be a non-empty text"),
    "misspelt-setting": (("preprocess", "tests_size"), 0.2, "params.yaml: preprocess.tests_size is not one of the settings of preprocess (did you mean test_size?): they are test_size, seed"),
    "drift-flag-as-text": (("drift", "fail_gate"), "yes", "params.yaml: drift.fail_gate is text 'yes'; it must be true or false"),
    "seed-as-text": (("train", "seed"), "42", "params.yaml: train.seed is text '42'; it must be a whole number >= 0"),
    "huge-number": (("preprocess", "test_size"), 10**400, "params.yaml: preprocess.test_size is 1000000000"),
    "rows-as-float": (("data", "sample", "rows"), 1e5, "params.yaml: data.sample.rows is 100000.0; it must be a whole number >= 1"),
}  # fmt: skip


@pytest.mark.parametrize(("keys", "value", "message"), BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_a_bad_value_fails_on_one_line_naming_its_key_and_what_it_may_be(write_params, keys, value, message):
    # given the shipped params.yaml with one value made bad
    write_params(setting(*keys, value=value))
    # when any stage loads it (every section present is checked, whichever the stage reads)
    # then one line names the key, the value and what it may be
    assert one_line_error().startswith(message)


def test_every_problem_is_named_at_once(write_params):
    write_params(lambda params: params["preprocess"].update(test_size="0.2", seed=1.5))
    with pytest.raises(PipelineError) as error:
        load_params(Path("params.yaml"))
    assert [line.split(" is ")[0] for line in str(error.value).splitlines()] == [
        "params.yaml: preprocess.test_size",
        "params.yaml: preprocess.seed",
    ]


def test_a_missing_section_matters_to_the_stage_that_reads_it(write_params):
    write_params(lambda params: params.pop("evaluate"))
    assert load_params(Path("params.yaml"), required=("data", "preprocess"))  # preprocess does not read it
    assert one_line_error(required=("evaluate",)) == (
        "params.yaml has no `evaluate:` section: add it with its settings (curve_points)"
    )


def test_a_section_of_your_own_is_left_to_your_code(write_params):
    write_params(lambda params: params.update(my_features={"window": "7d"}))
    assert load_params(Path("params.yaml"))["my_features"] == {"window": "7d"}


@pytest.mark.parametrize(
    ("model", "arguments", "message"),
    [
        ("xgboost", {"n_estimator": 100}, "params.yaml: train.xgboost.n_estimator is not an argument of XGBClassifier (did you mean n_estimators?)"),
        ("xgboost", {"random_state": 1}, "params.yaml: train.xgboost.random_state is set by the pipeline: set train.seed"),
        ("random_forest", {"max_features": "most"}, "params.yaml: train.random_forest: The 'max_features' parameter of RandomForestClassifier must be"),
        ("extra_trees", {"n_estimator": 100}, "params.yaml: train.extra_trees.n_estimator is not an argument of ExtraTreesClassifier (did you mean n_estimators?)"),
    ],
    ids=["unknown-xgboost-argument", "seed-in-the-model-section", "bad-forest-value", "unknown-forest-argument"],
)  # fmt: skip
def test_a_models_section_holds_only_arguments_the_model_takes(model, arguments, message):
    # given a train section whose model's own section has a name or value the model does not take
    train = {"model": model, "seed": 42, "validation_share": 0.1, model: arguments}
    # when train or sanity-check builds the model (before reading any data)
    with pytest.raises(PipelineError) as error:
        build_model(train)
    # then one line names the argument, and what the model takes
    assert len(str(error.value).splitlines()) == 1 and str(error.value).startswith(message)


def test_xgboost_booster_parameters_it_documents_are_accepted():
    train = {"model": "xgboost", "seed": 42, "validation_share": 0.1, "xgboost": {"eta": 0.1, "lambda": 2.0}}
    assert build_model(train).get_params()["eta"] == 0.1
