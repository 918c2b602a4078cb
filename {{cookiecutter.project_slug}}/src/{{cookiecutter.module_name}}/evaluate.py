"""Stage 3, evaluate: score the model on the held-out test split.

Outputs: metrics.json (DVC metrics: accuracy, F1, precision, recall, ROC AUC, log loss),
reports/classification_report.txt, reports/confusion_matrix.png, and the DVC plots
reports/plots/{roc,precision_recall,feature_importance}.csv.
Binary targets use the second class as positive; multi-class metrics are macro averages and
the curves are micro averages over one-vs-rest.

A regression target (schema.json task, decided in preprocess) is scored by regression.py instead:
metrics.json holds rmse, mae and r2; reports/plots/ holds predicted_vs_actual.csv, residuals.csv,
feature_importance.csv and regression.png (both plots drawn); classification_report.txt holds the
regression summary, and confusion_matrix.png (which DVC expects either way) says it does not apply.
"""

import numpy as np
import pandas as pd
from matplotlib.figure import Figure  # no pyplot: files only, no display or GUI backend
from sklearn import metrics
from sklearn.preprocessing import label_binarize

from . import dask_engine, regression
from .common import (
    CLASSIFICATION_REPORT_FILE,
    CONFUSION_MATRIX_FILE,
    FEATURE_IMPORTANCE_FILE,
    METRICS_FILE,
    MODEL_FILE,
    PRECISION_RECALL_FILE,
    PREDICTED_VS_ACTUAL_FILE,
    REGRESSION_PLOT_FILE,
    RESIDUALS_FILE,
    ROC_FILE,
    SCHEMA_FILE,
    TEST_FILE,
    atomic_path,
    load_params,
    load_split,
    read_json,
    run,
    write_json,
)
from .compute import engine
from .models import load_model, predictions
from .storage import worker_storage


def compute_metrics(labels: np.ndarray, probabilities: np.ndarray) -> dict:
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


def feature_importance(model, features: list[str]) -> pd.DataFrame:
    importance = pd.DataFrame({"feature": features, "importance": np.round(model.feature_importances_, 5)})
    return importance.sort_values("importance", ascending=False).reset_index(drop=True)


def plot_confusion_matrix(labels, predicted, class_names: list[str], path) -> None:
    figure = Figure(figsize=(4.5, 4))
    axes = figure.subplots()
    metrics.ConfusionMatrixDisplay.from_predictions(
        labels,
        predicted,
        labels=np.arange(len(class_names)),
        display_labels=class_names,
        ax=axes,
        colorbar=False,
        cmap="Blues",
    )
    axes.set_title("Confusion matrix (test split)")
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=100)


def main() -> None:
    params = load_params()
    schema = read_json(SCHEMA_FILE)
    model = load_model(MODEL_FILE)
    storage = worker_storage(params)  # checked before a cluster starts
    with engine(params) as client:
        if client is None:
            features, labels = load_split(TEST_FILE, schema)
            output = predictions(model, features)
        else:  # compute.engine: dask
            labels, output = dask_engine.predict(client, model, storage.files(TEST_FILE), schema)
    if schema.get("task") == "regression":
        evaluate_regression(model, labels, output, schema, params["evaluate"])
        return
    probabilities = output
    predicted = probabilities.argmax(axis=1)
    class_names = [str(name) for name in schema["classes"]]

    scores = compute_metrics(labels, probabilities)
    roc, pr = curves(labels, probabilities, params["evaluate"]["curve_points"])
    for frame, path in (
        (roc, ROC_FILE),
        (pr, PRECISION_RECALL_FILE),
        (feature_importance(model, schema["features"]), FEATURE_IMPORTANCE_FILE),
    ):
        with atomic_path(path) as temporary:
            frame.to_csv(temporary, index=False)
    report = metrics.classification_report(
        labels, predicted, labels=np.arange(len(class_names)), target_names=class_names, zero_division=0
    )
    with atomic_path(CLASSIFICATION_REPORT_FILE) as temporary:
        temporary.write_text(report)
    plot_confusion_matrix(labels, predicted, class_names, CONFUSION_MATRIX_FILE)
    write_json(METRICS_FILE, scores)
    print("evaluate: " + ", ".join(f"{name} {value}" for name, value in scores.items()))


def evaluate_regression(model, actual: np.ndarray, predicted: np.ndarray, schema: dict, settings: dict) -> None:
    scores = regression.compute_metrics(actual, predicted)
    versus, residuals = regression.plot_points(actual, predicted, settings["curve_points"])
    for frame, path in (
        (versus, PREDICTED_VS_ACTUAL_FILE),
        (residuals, RESIDUALS_FILE),
        (feature_importance(model, schema["features"]), FEATURE_IMPORTANCE_FILE),
    ):
        with atomic_path(path) as temporary:
            frame.to_csv(temporary, index=False)
    with atomic_path(CLASSIFICATION_REPORT_FILE) as temporary:
        temporary.write_text(regression.text_report(scores, actual, predicted))
    regression.save_figure(actual, predicted, REGRESSION_PLOT_FILE)
    note = "No confusion matrix: the target is numeric (regression).\nSee reports/plots/regression.png"
    regression.save_note(note, CONFUSION_MATRIX_FILE)
    write_json(METRICS_FILE, scores)
    print("evaluate: " + ", ".join(f"{name} {value}" for name, value in scores.items()))


if __name__ == "__main__":
    run(main)
