"""Regression's metrics, plots and sanity checks: what evaluate and sanity-check use for a numeric target.

Used when preprocess decided the task is regression (params.yaml data.task; see task.py).
  - metrics: rmse and mae (lower is better, in the target's units), r2 (higher is better, at most 1);
  - plots: predicted against actual, and residuals (actual - predicted) against predicted;
  - sanity checks: predictions are finite and within a tolerance of the target's observed range,
    their mean residual (bias) is small against the target's spread, they beat always predicting
    the training mean (a constant model fails here), and they vary (a constant model fails here too).
Classification's equivalents stay in evaluate.py and sanity_check.py.
"""

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn import metrics

if TYPE_CHECKING:  # matplotlib is imported where a figure is drawn: sanity-check draws none
    from matplotlib.figure import Figure

from .common import atomic_path, check

METRICS = ("rmse", "mae", "r2")  # as metrics.json names them; gate.py knows each one's direction


# --- Metrics and plots (evaluate) ---------------------------------------------------------
def compute_metrics(actual: np.ndarray, predicted: np.ndarray) -> dict:
    values = {
        "rmse": float(np.sqrt(metrics.mean_squared_error(actual, predicted))),
        "mae": metrics.mean_absolute_error(actual, predicted),
        "r2": metrics.r2_score(actual, predicted),
    }
    return {name: round(float(value), 5) for name, value in values.items()} | {"test_rows": len(actual)}


def plot_points(actual: np.ndarray, predicted: np.ndarray, points: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(predicted vs actual, residuals) as DVC plot tables: at most `points` test rows, evenly spread
    over the sorted actual values so that the whole range shows."""
    order = np.argsort(actual, kind="stable")
    keep = order[np.unique(np.linspace(0, len(order) - 1, min(points, len(order))).round().astype(int))]
    chosen_actual, chosen_predicted = actual[keep], predicted[keep]
    versus = pd.DataFrame({"actual": chosen_actual, "predicted": chosen_predicted}).round(5)
    residuals = pd.DataFrame({"predicted": chosen_predicted, "residual": chosen_actual - chosen_predicted}).round(5)
    return versus, residuals


def draw(figure: "Figure", actual: np.ndarray, predicted: np.ndarray, label: str = "test split") -> None:
    """Predicted against actual (left) and residuals against predicted (right) on `figure`."""
    left, right = figure.subplots(1, 2)
    low, high = float(min(actual.min(), predicted.min())), float(max(actual.max(), predicted.max()))
    left.scatter(actual, predicted, s=8, alpha=0.5, label=label)
    left.plot([low, high], [low, high], color="grey", linewidth=1, label="perfect")
    left.set_xlabel("actual")
    left.set_ylabel("predicted")
    left.set_title("Predicted vs actual")
    left.legend(loc="upper left", fontsize="small")
    right.scatter(predicted, actual - predicted, s=8, alpha=0.5)
    right.axhline(0, color="grey", linewidth=1)
    right.set_xlabel("predicted")
    right.set_ylabel("residual (actual - predicted)")
    right.set_title("Residuals")
    figure.tight_layout()


def save_figure(actual: np.ndarray, predicted: np.ndarray, path) -> None:
    from matplotlib.figure import Figure  # no pyplot: files only, no display or GUI backend

    figure = Figure(figsize=(9, 4))
    draw(figure, actual, predicted)
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=100)


def save_note(text: str, path) -> None:
    """A small image that says `text`: what a classification-only image holds for a regression target."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4.5, 1.2))
    figure.text(0.5, 0.5, text, ha="center", va="center", fontsize=9)
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=100)


def text_report(scores: dict, actual: np.ndarray, predicted: np.ndarray) -> str:
    residuals = actual - predicted
    quantiles = np.quantile(residuals, [0.05, 0.25, 0.5, 0.75, 0.95])
    lines = [
        "Regression report (test split)",
        "",
        *(f"{name:>10}  {scores[name]}" for name in (*METRICS, "test_rows")),
        "",
        "residual (actual - predicted) quantiles:",
        *(
            f"{f'{int(q * 100)}%':>10}  {value:.5g}"
            for q, value in zip([0.05, 0.25, 0.5, 0.75, 0.95], quantiles, strict=True)
        ),
    ]
    return "\n".join(lines) + "\n"


# --- Sanity checks (sanity-check) ---------------------------------------------------------
def prediction_checks(actual: np.ndarray, predicted: np.ndarray, target: dict, settings: dict) -> list[dict]:
    """Checks on the test predictions. `target` is the data profile's target_summary (training split's
    min, max, mean, std); `settings` is params.yaml sanity.regression."""
    finite = np.isfinite(predicted)
    span = max(target["max"] - target["min"], np.finfo(float).tiny)
    spread = max(target["std"], np.finfo(float).tiny)
    tolerance = settings["range_tolerance"]
    shown = predicted[finite] if finite.any() else np.array([np.nan])
    outside = max(0.0, target["min"] - float(shown.min()), float(shown.max()) - target["max"]) / span
    outside = outside if finite.all() else np.inf
    bias = abs(float(np.mean(actual - predicted))) / spread if finite.all() else np.inf
    r2 = float(metrics.r2_score(actual, predicted)) if finite.all() else -np.inf
    ratio = float(np.std(predicted)) / max(float(np.std(actual)), np.finfo(float).tiny) if finite.all() else 0.0
    return [
        check(
            "predictions_finite",
            int((~finite).sum()),
            0,
            finite.all(),
            f"{int((~finite).sum())} of {len(predicted)} predictions are NaN or infinite",
        ),
        check(
            "predictions_in_range",
            outside,
            tolerance,
            outside <= tolerance,
            f"predictions span [{float(shown.min()):.5g}, {float(shown.max()):.5g}]; training targets "
            f"[{target['min']:.5g}, {target['max']:.5g}] (allowed beyond by {tolerance:.0%} of that range)",
        ),
        check(
            "residual_bias",
            bias,
            settings["max_bias"],
            bias <= settings["max_bias"],
            f"mean residual is {bias:.3f} training standard deviations (at most {settings['max_bias']})",
        ),
        check(
            "beats_mean_baseline",
            r2,
            settings["min_r2"],
            r2 > settings["min_r2"],
            f"r2 {r2:.4f} on the test split; always predicting the mean scores about 0",
        ),
        check(
            "prediction_spread",
            ratio,
            settings["min_prediction_spread"],
            ratio >= settings["min_prediction_spread"],
            f"predictions vary {ratio:.3f} times as much as the actual values (a constant model: 0)",
        ),
    ]
