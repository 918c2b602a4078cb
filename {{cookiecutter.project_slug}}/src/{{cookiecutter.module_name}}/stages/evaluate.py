"""Stage 3, evaluate: score the model on the held-out test split.

Outputs: metrics.json (DVC metrics: accuracy, F1, precision, recall, ROC AUC, log loss),
reports/classification_report.txt, reports/confusion_matrix.png, and the DVC plots
reports/plots/{roc,precision_recall,feature_importance}.csv (evaluation/metrics.py says how each
is computed).

A regression target (schema.json task, decided in preprocess) is scored with rmse, mae and r2;
reports/plots/ holds predicted_vs_actual.csv, residuals.csv, feature_importance.csv and
regression.png; classification_report.txt holds the regression summary, and confusion_matrix.png
(which DVC expects either way) says it does not apply.

Also reports/prediction_distribution.json: the test split's prediction scores summarised as the
drift report summarises a feature, which the serving bundle carries for monitoring (make monitor).
The test split is read through the model-input code that serving uses (scoring/rows.py).
"""

import numpy as np
import pandas as pd
from sklearn.metrics import classification_report

from ..core.drift import drift_params
from ..core.errors import run
from ..core.files import atomic_path, read_json, write_json
from ..core.modeling import load_model
from ..core.params import load_params
from ..core.paths import (
    CLASSIFICATION_REPORT_FILE,
    CONFUSION_MATRIX_FILE,
    FEATURE_IMPORTANCE_FILE,
    METRICS_FILE,
    MODEL_FILE,
    PRECISION_RECALL_FILE,
    PREDICTED_VS_ACTUAL_FILE,
    PREDICTION_DISTRIBUTION_FILE,
    REGRESSION_PLOT_FILE,
    RESIDUALS_FILE,
    ROC_FILE,
    SCHEMA_FILE,
    TEST_FILE,
)
from ..engine import open_engine
from ..evaluation.figures import plot_confusion_matrix, save_note, save_regression_figure
from ..evaluation.metrics import (
    classification_metrics,
    curves,
    feature_importance,
    regression_metrics,
    regression_points,
    regression_text_report,
)
from ..scoring.score import prediction_distribution


def write_csv(frame: pd.DataFrame, path) -> None:
    with atomic_path(path) as temporary:
        frame.to_csv(temporary, index=False)


def write_text(text: str, path) -> None:
    with atomic_path(path) as temporary:
        temporary.write_text(text)


def evaluate_classification(labels: np.ndarray, probabilities: np.ndarray, schema: dict, points: int) -> dict:
    predicted = probabilities.argmax(axis=1)
    class_names = [str(name) for name in schema["classes"]]
    roc, precision_recall = curves(labels, probabilities, points)
    write_csv(roc, ROC_FILE)
    write_csv(precision_recall, PRECISION_RECALL_FILE)
    write_text(
        classification_report(
            labels, predicted, labels=np.arange(len(class_names)), target_names=class_names, zero_division=0
        ),
        CLASSIFICATION_REPORT_FILE,
    )
    plot_confusion_matrix(labels, predicted, class_names, CONFUSION_MATRIX_FILE)
    return classification_metrics(labels, probabilities)


def evaluate_regression(actual: np.ndarray, predicted: np.ndarray, points: int) -> dict:
    scores = regression_metrics(actual, predicted)
    versus, residuals = regression_points(actual, predicted, points)
    write_csv(versus, PREDICTED_VS_ACTUAL_FILE)
    write_csv(residuals, RESIDUALS_FILE)
    write_text(regression_text_report(scores, actual, predicted), CLASSIFICATION_REPORT_FILE)
    save_regression_figure(actual, predicted, REGRESSION_PLOT_FILE)
    note = "No confusion matrix: the target is numeric (regression).\nSee reports/plots/regression.png"
    save_note(note, CONFUSION_MATRIX_FILE)
    return scores


def main() -> None:
    params = load_params(required=("evaluate",))  # every setting checked before any work
    schema = read_json(SCHEMA_FILE)
    model = load_model(MODEL_FILE)
    with open_engine(params) as engine:
        labels, output = engine.predict(model, TEST_FILE, schema)
    points = params["evaluate"]["curve_points"]
    if schema.get("task") == "regression":
        scores = evaluate_regression(labels, output, points)
    else:
        scores = evaluate_classification(labels, output, schema, points)
    write_csv(feature_importance(model, schema["features"]), FEATURE_IMPORTANCE_FILE)
    write_json(PREDICTION_DISTRIBUTION_FILE, prediction_distribution(output, schema, drift_params(params)))
    write_json(METRICS_FILE, scores)
    print("evaluate: " + ", ".join(f"{name} {value}" for name, value in scores.items()))


if __name__ == "__main__":
    run(main)
