"""The report's sections: what the plots' legends claim, a regression target's rows."""

from {{ cookiecutter.module_name }}.report.data import split_line
from {{ cookiecutter.module_name }}.report.plots import curve_label
from {{ cookiecutter.module_name }}.report.regression import target_rows


def test_binary_curve_legend_names_the_metric():
    assert curve_label("This branch", "roc_auc", 0.81234, multi_class=False) == "This branch (roc_auc 0.8123)"


def test_multiclass_curve_legend_says_the_metric_is_the_macro_average():
    # The curve is a micro average over classes; the ROC AUC in metrics.json is the macro average.
    assert curve_label("main", "roc_auc", 0.7, multi_class=True) == "main (macro roc_auc 0.7000)"


def test_curve_legend_without_a_score_is_the_name_alone():
    assert curve_label("main", "roc_auc", None, multi_class=True) == "main"


def test_regression_data_rows_compare_the_target_range_with_the_base():
    profile = {"task": "regression", "target_summary": {"min": 1.0, "mean": 5.0, "std": 2.0, "max": 9.0}}
    assert target_rows(profile, {"target_summary": {"min": 0.0, "mean": 4.0, "std": 2.5, "max": 8.0}}) == [
        ("target min (train)", 1.0, 0.0),
        ("target mean (train)", 5.0, 4.0),
        ("target std (train)", 2.0, 2.5),
        ("target max (train)", 9.0, 8.0),
    ]
    assert target_rows(profile, {"class_balance": {"0": 1.0}})[0] == ("target min (train)", 1.0, None)


def test_the_data_section_says_which_split_made_the_test_rows_and_when_the_base_split_otherwise():
    by_man = {"split": "group: nr"}
    assert split_line(by_man, by_man) == "Test split: by group: every `nr` in one split only, none in both."
    assert split_line({"split": "time: year"}, None).startswith("Test split: by time: the test rows are the latest by")
    changed = split_line(by_man, {})  # a base profile from before splits were chosen: random
    assert "The base split differently (random): the scores compare different test rows." in changed
