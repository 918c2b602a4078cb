"""The test split's metrics and curves on known predictions (evaluation/metrics.py)."""

import numpy as np
import pytest

from {{ cookiecutter.module_name }}.evaluation.metrics import classification_metrics, curves


def test_perfect_binary_predictions():
    labels = np.array([0, 1, 1, 0])
    probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4]])
    scores = classification_metrics(labels, probabilities)
    assert scores["accuracy"] == 1.0
    assert scores["roc_auc"] == 1.0
    assert scores["f1"] == 1.0
    assert scores["log_loss"] == pytest.approx(-np.mean(np.log([0.9, 0.8, 0.7, 0.6])), abs=1e-4)
    assert scores["test_rows"] == 4


def test_multiclass_metrics_are_macro_averages():
    labels = np.array([0, 1, 2, 2])
    probabilities = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8], [0.6, 0.2, 0.2]])
    scores = classification_metrics(labels, probabilities)
    assert scores["accuracy"] == 0.75
    assert 0 < scores["f1"] < 1


def test_curves_are_thinned_and_span_the_unit_square():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 5000)
    positive = np.clip(labels * 0.3 + rng.random(5000) * 0.7, 0, 1)
    roc, pr = curves(labels, np.column_stack([1 - positive, positive]), points=50)
    assert len(roc) <= 50 and len(pr) <= 50
    assert roc.iloc[0].tolist() == [0.0, 0.0] and roc.iloc[-1].tolist() == [1.0, 1.0]
    assert list(pr.columns) == ["recall", "precision"]
