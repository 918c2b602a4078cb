"""The images evaluate writes: the confusion matrix, a regression target's predicted-vs-actual
and residual plots, and a note where an image does not apply. Files only: matplotlib's Figure,
no pyplot, no display or GUI backend.
"""

from typing import TYPE_CHECKING

import numpy as np
from sklearn import metrics

from ..core.files import atomic_path

if TYPE_CHECKING:  # matplotlib is imported where a figure is drawn: a stage that draws none skips it
    from matplotlib.figure import Figure


def plot_confusion_matrix(labels, predicted, class_names: list[str], path) -> None:
    from matplotlib.figure import Figure  # heavy: imported where a figure is drawn

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


def draw_regression(figure: "Figure", actual: np.ndarray, predicted: np.ndarray, label: str = "test split") -> None:
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


def save_regression_figure(actual: np.ndarray, predicted: np.ndarray, path) -> None:
    from matplotlib.figure import Figure  # heavy: imported where a figure is drawn

    figure = Figure(figsize=(9, 4))
    draw_regression(figure, actual, predicted)
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=100)


def save_note(text: str, path) -> None:
    """A small image that says `text`: what a classification-only image holds for a regression target."""
    from matplotlib.figure import Figure  # heavy: imported where a figure is drawn

    figure = Figure(figsize=(4.5, 1.2))
    figure.text(0.5, 0.5, text, ha="center", va="center", fontsize=9)
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=100)
