"""The test split's metrics and the curves behind them (evaluate writes them; the gate and the
report read them back).

Classification: accuracy, F1, precision, recall, ROC AUC, log loss; binary targets use the
second class as positive; multi-class metrics are macro averages and the curves micro averages
over one-vs-rest. Regression: rmse and mae (lower is better, in the target's units), r2 (higher
is better, at most 1), and the points of the predicted-vs-actual and residual plots.
"""

import numpy as np
import pandas as pd
from sklearn import metrics
from sklearn.preprocessing import label_binarize

REGRESSION_METRICS = ("rmse", "mae", "r2")  # as metrics.json names them; verdict.py knows each one's direction


# --- Classification -------------------------------------------------------------------------
def classification_metrics(labels: np.ndarray, probabilities: np.ndarray) -> dict:
    classes = np.arange(probabilities.shape[1])
    predicted = probabilities.argmax(axis=1)
    binary = len(classes) == 2
    average = "binary" if binary else "macro"
    roc_auc = (
        metrics.roc_auc_score(labels, probabilities[:, 1])
        if binary
        else metrics.roc_auc_score(labels, probabilities, multi_class="ovr", average="macro", labels=classes)
    )
    values = {
        "accuracy": metrics.accuracy_score(labels, predicted),
        "f1": metrics.f1_score(labels, predicted, average=average, zero_division=0),
        "precision": metrics.precision_score(labels, predicted, average=average, zero_division=0),
        "recall": metrics.recall_score(labels, predicted, average=average, zero_division=0),
        "roc_auc": roc_auc,
        "log_loss": metrics.log_loss(labels, probabilities, labels=classes),
    }
    return {name: round(float(value), 5) for name, value in values.items()} | {"test_rows": len(labels)}


def curves(labels: np.ndarray, probabilities: np.ndarray, points: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """ROC and precision-recall curves, thinned to about `points` rows each for small plot files."""
    if probabilities.shape[1] == 2:
        truth, scores = labels, probabilities[:, 1]
    else:  # micro average: every (row, class) pair is one binary decision
        truth = label_binarize(labels, classes=np.arange(probabilities.shape[1])).ravel()
        scores = probabilities.ravel()
    fpr, tpr, _ = metrics.roc_curve(truth, scores)
    precision, recall, _ = metrics.precision_recall_curve(truth, scores)
    roc = pd.DataFrame({"fpr": fpr, "tpr": tpr})
    pr = pd.DataFrame({"recall": recall, "precision": precision})
    return _thin(roc, points), _thin(pr, points)


def _thin(curve: pd.DataFrame, points: int) -> pd.DataFrame:
    keep = np.unique(np.linspace(0, len(curve) - 1, min(points, len(curve))).round().astype(int))
    return curve.iloc[keep].round(5).reset_index(drop=True)


# --- Regression -----------------------------------------------------------------------------
def regression_metrics(actual: np.ndarray, predicted: np.ndarray) -> dict:
    values = {
        "rmse": float(np.sqrt(metrics.mean_squared_error(actual, predicted))),
        "mae": metrics.mean_absolute_error(actual, predicted),
        "r2": metrics.r2_score(actual, predicted),
    }
    return {name: round(float(value), 5) for name, value in values.items()} | {"test_rows": len(actual)}


def regression_points(actual: np.ndarray, predicted: np.ndarray, points: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(predicted vs actual, residuals) as DVC plot tables: at most `points` test rows, evenly spread
    over the sorted actual values so that the whole range shows."""
    order = np.argsort(actual, kind="stable")
    keep = order[np.unique(np.linspace(0, len(order) - 1, min(points, len(order))).round().astype(int))]
    chosen_actual, chosen_predicted = actual[keep], predicted[keep]
    versus = pd.DataFrame({"actual": chosen_actual, "predicted": chosen_predicted}).round(5)
    residuals = pd.DataFrame({"predicted": chosen_predicted, "residual": chosen_actual - chosen_predicted}).round(5)
    return versus, residuals


def regression_text_report(scores: dict, actual: np.ndarray, predicted: np.ndarray) -> str:
    residuals = actual - predicted
    quantiles = np.quantile(residuals, [0.05, 0.25, 0.5, 0.75, 0.95])
    lines = [
        "Regression report (test split)",
        "",
        *(f"{name:>10}  {scores[name]}" for name in (*REGRESSION_METRICS, "test_rows")),
        "",
        "residual (actual - predicted) quantiles:",
        *(
            f"{f'{int(q * 100)}%':>10}  {value:.5g}"
            for q, value in zip([0.05, 0.25, 0.5, 0.75, 0.95], quantiles, strict=True)
        ),
    ]
    return "\n".join(lines) + "\n"


# --- Both -----------------------------------------------------------------------------------
def feature_importance(model, features: list[str]) -> pd.DataFrame:
    importance = pd.DataFrame({"feature": features, "importance": np.round(model.feature_importances_, 5)})
    return importance.sort_values("importance", ascending=False).reset_index(drop=True)
