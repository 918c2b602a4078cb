"""make exp-show: the data profile's columns dropped, the model's metrics always kept."""

import re

from {{ cookiecutter.module_name }}.ops.experiments import column_names, show_arguments


def test_nested_numbers_are_named_as_dvc_names_their_columns():
    profile = {"rows": {"total": 10, "test": 2}, "lookup_coverage": {"data/raw/songs.csv": 1.0}}
    assert column_names(profile) == ["rows.total", "rows.test", "lookup_coverage.data/raw/songs.csv"]


def test_the_profile_is_dropped_and_the_models_metrics_are_kept_exactly():
    arguments = show_arguments({"roc_auc": 0.8, "f1": 0.7}, {"rows": {"total": 10}, "missing_share": {"bd": 0.1}})
    drop = re.compile(arguments[arguments.index("--drop") + 1])
    keep = re.compile(arguments[arguments.index("--keep") + 1])
    # dvc exp show matches these with re.match against its column names
    assert drop.match("rows.total") and drop.match("reports/data_profile.json:missing_share.bd")
    assert not drop.match("roc_auc") and not drop.match("rows.total_2")
    assert keep.match("roc_auc") and keep.match("metrics.json:f1") and not keep.match("train.model")
    assert "--only-changed" in arguments


def test_before_the_first_run_there_is_nothing_to_drop_or_keep():
    assert show_arguments({}, {}) == ["--only-changed"]
