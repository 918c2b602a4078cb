"""The report: what its plots' legends claim."""

from {{ cookiecutter.module_name }}.report import curve_label


def test_binary_curve_legend_names_the_metric():
    assert curve_label("This branch", "roc_auc", 0.81234, multi_class=False) == "This branch (roc_auc 0.8123)"


def test_multiclass_curve_legend_says_the_metric_is_the_macro_average():
    # The curve is a micro average over classes; the ROC AUC in metrics.json is the macro average.
    assert curve_label("main", "roc_auc", 0.7, multi_class=True) == "main (macro roc_auc 0.7000)"


def test_curve_legend_without_a_score_is_the_name_alone():
    assert curve_label("main", "roc_auc", None, multi_class=True) == "main"
