"""The report's plots: this branch against the base, drawn as PNGs beside report.md (confusion
matrix, ROC and precision-recall curves; a regression target's plots: regression.py), and feature
importance."""

import io
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from ..core.paths import (
    CONFUSION_MATRIX_FILE,
    DATA_PROFILE_FILE,
    FEATURE_IMPORTANCE_FILE,
    METRICS_FILE,
    PRECISION_RECALL_FILE,
    ROC_FILE,
)
from ..core.target import task_of
from .markdown import images
from .regression import regression_plots
from .revisions import base_csv, base_file, base_json, local_json

TOP_FEATURES = 15  # bars in the feature importance plot


# Each curve: its CSV (from the evaluate stage), x and y columns, axis labels, the metric in its legend.
CURVES = {
    "ROC curve": (ROC_FILE, "fpr", "tpr", ("False positive rate", "True positive rate"), "roc_auc"),
    "Precision-recall curve": (PRECISION_RECALL_FILE, "recall", "precision", ("Recall", "Precision"), "f1"),
}


def plots_section(out: Path, base_rev: str | None, base_label: str, images_at: str | None) -> list[str]:
    """Draw this branch against the base as PNGs in `out`; the markdown that shows them."""
    profile = local_json(DATA_PROFILE_FILE) or {}
    if task_of(profile) == "regression":
        drawn = {"Predicted vs actual, residuals": regression_plots(out / "regression.png", base_rev, base_label)}
    else:
        drawn = {"Confusion matrix": plot_confusion_matrices(out / "confusion_matrix.png", base_rev, base_label)}
        multi_class = len(profile.get("class_balance", {})) > 2
        for title, curve in CURVES.items():
            drawn[title] = plot_curve(out / f"{curve[0].stem}.png", curve, base_rev, base_label, multi_class)
    importance = plot_feature_importance(out / "feature_importance.png", base_rev, base_label)
    lines = [f"## Plots: this branch against {base_label}", ""]
    lines += images({title: path for title, path in drawn.items() if path}, images_at)
    lines += ["", "## Feature importance", ""]
    if importance is None:
        return [*lines, f"No {FEATURE_IMPORTANCE_FILE}."]
    return [*lines, *images({"Feature importance": importance}, images_at)]


def plot_confusion_matrices(path: Path, base_rev: str | None, base_label: str) -> Path | None:
    """This branch's confusion matrix (drawn by the evaluate stage) beside the base's."""
    if not CONFUSION_MATRIX_FILE.exists():
        return None
    panels = [("This branch", plt.imread(CONFUSION_MATRIX_FILE))]
    base_png = base_file(base_rev, CONFUSION_MATRIX_FILE)
    if base_png is not None:
        panels.append((base_label, plt.imread(io.BytesIO(base_png), format="png")))
    figure, axes = plt.subplots(1, len(panels), figsize=(4.5 * len(panels), 4.2), squeeze=False)
    for axis, (title, image) in zip(axes[0], panels, strict=True):
        axis.imshow(image)
        axis.set_title(title)
        axis.axis("off")
    return save(figure, path)


def curve_label(label: str, metric: str, score: float | None, multi_class: bool) -> str:
    """A curve's legend entry. Multi-class curves are micro averages (evaluation/metrics.py: every row and
    class one decision) while the metrics are macro averages, so the legend says which it shows."""
    if score is None:
        return label
    return f"{label} ({'macro ' if multi_class else ''}{metric} {score:.4f})"


def plot_curve(path: Path, curve: tuple, base_rev: str | None, base_label: str, multi_class: bool) -> Path | None:
    csv_file, x, y, axis_labels, metric = curve
    if not csv_file.exists():
        return None
    base_metrics = base_json(base_rev, METRICS_FILE) or {}
    lines = [
        ("This branch", pd.read_csv(csv_file), (local_json(METRICS_FILE) or {}).get(metric), "-"),
        (base_label, base_csv(base_rev, csv_file), base_metrics.get(metric), "--"),
    ]
    figure, axis = plt.subplots(figsize=(5, 4.2))
    for label, frame, score, style in lines:
        if frame is not None:
            axis.plot(frame[x], frame[y], style, label=curve_label(label, metric, score, multi_class))
    if multi_class:
        axis.set_title("Micro-average over classes")
    axis.set_xlabel(axis_labels[0])
    axis.set_ylabel(axis_labels[1])
    axis.grid(alpha=0.3)
    axis.legend(loc="best")
    return save(figure, path)


def plot_feature_importance(path: Path, base_rev: str | None, base_label: str) -> Path | None:
    if not FEATURE_IMPORTANCE_FILE.exists():
        return None
    importance = pd.read_csv(FEATURE_IMPORTANCE_FILE).set_index("feature")["importance"].rename("This branch")
    base = base_csv(base_rev, FEATURE_IMPORTANCE_FILE)
    table = importance.to_frame()
    if base is not None:
        table = table.join(base.set_index("feature")["importance"].rename(base_label), how="left")
    table = table.sort_values("This branch").tail(TOP_FEATURES)
    figure, axis = plt.subplots(figsize=(6, 0.35 * len(table) + 1.2))
    table.plot.barh(ax=axis, width=0.8)
    axis.set_xlabel("importance")
    axis.set_ylabel("")
    axis.set_title(f"Feature importance (top {len(table)})")
    return save(figure, path)


def save(figure, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, format="png", dpi=100)
    plt.close(figure)
    return path
