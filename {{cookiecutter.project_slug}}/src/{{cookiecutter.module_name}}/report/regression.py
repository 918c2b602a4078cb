"""The report's parts for a regression target: the target's range in the data section and the
predicted-vs-actual and residual plots, this branch against the base branch (None where the base
has no such file, or was a classification project)."""

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from ..core.paths import METRICS_FILE, PREDICTED_VS_ACTUAL_FILE, RESIDUALS_FILE
from .revisions import base_csv, base_json, local_json

SUMMARY = ("min", "mean", "std", "max")  # of the training split's target (data profile: target_summary)


def target_rows(profile: dict, base: dict | None) -> list[tuple[str, float | None, float | None]]:
    """(label, this branch, base) rows for the data section's table."""
    summary = profile.get("target_summary") or {}
    old = (base or {}).get("target_summary") or {}
    return [(f"target {name} (train)", summary.get(name), old.get(name)) for name in SUMMARY]


def plot_regression(
    path: Path,
    versus: pd.DataFrame,
    residuals: pd.DataFrame,
    base_versus: pd.DataFrame | None,
    base_residuals: pd.DataFrame | None,
    base_label: str,
    scores: tuple[float | None, float | None],
) -> Path:
    """Predicted against actual (left) and residuals against predicted (right), base branch in grey."""
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    this_r2, base_r2 = scores
    panels = [
        (base_label, base_versus, base_residuals, "tab:grey", base_r2),
        ("This branch", versus, residuals, "tab:blue", this_r2),
    ]
    for label, frame, residual, colour, r2 in panels:
        if frame is None or residual is None:
            continue
        legend = f"{label} (r2 {r2:.4f})" if r2 is not None else label
        left.scatter(frame["actual"], frame["predicted"], s=8, alpha=0.5, color=colour, label=legend)
        right.scatter(residual["predicted"], residual["residual"], s=8, alpha=0.5, color=colour, label=label)
    low = float(min(versus["actual"].min(), versus["predicted"].min()))
    high = float(max(versus["actual"].max(), versus["predicted"].max()))
    left.plot([low, high], [low, high], color="black", linewidth=1)
    left.set(xlabel="actual", ylabel="predicted", title="Predicted vs actual (test split)")
    right.axhline(0, color="black", linewidth=1)
    right.set(xlabel="predicted", ylabel="residual (actual - predicted)", title="Residuals (test split)")
    left.legend(loc="upper left", fontsize="small")
    left.grid(alpha=0.3)
    right.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, format="png", dpi=100)
    plt.close(figure)
    return path


def regression_plots(path: Path, base_rev: str | None, base_label: str) -> Path | None:
    """A regression target's plots , this branch against the base's."""
    if not (PREDICTED_VS_ACTUAL_FILE.exists() and RESIDUALS_FILE.exists()):
        return None
    base_r2 = (base_json(base_rev, METRICS_FILE) or {}).get("r2")
    return plot_regression(
        path,
        pd.read_csv(PREDICTED_VS_ACTUAL_FILE),
        pd.read_csv(RESIDUALS_FILE),
        base_csv(base_rev, PREDICTED_VS_ACTUAL_FILE),
        base_csv(base_rev, RESIDUALS_FILE),
        base_label,
        ((local_json(METRICS_FILE) or {}).get("r2"), base_r2),
    )
