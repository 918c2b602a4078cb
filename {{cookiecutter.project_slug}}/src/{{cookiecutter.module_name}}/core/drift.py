"""Feature distributions and how far they moved: the maths of data drift.

preprocess summarises each feature of the training split into reports/feature_distributions.json
(committed, small); the CI report (report/drift.py) and the gate (drift.fail_gate) compare this
branch's file with the base branch's copy, so no one downloads the base's data.

- Numeric features keep their quantiles at every 1/`drift.quantiles` (101 values for 100): enough
  to draw the distribution's CDF. Both sides are binned on the base's deciles, so the bins are the
  same whatever either side's data looks like.
- Categorical features keep the shares of their `drift.top_categories` most frequent values; the
  rest is one "other" share.
- Missing values are a bin of their own on both.

The score is the population stability index (PSI): sum over bins of (p - q) * ln(p / q). It is
symmetric, works on binned summaries like these (a KS test would need the rows), scores numeric
and categorical features on one scale, and has thresholds practitioners know: below 0.1 stable,
0.1-0.25 a moderate shift, above 0.25 a major one.
"""

import math

import numpy as np
import pandas as pd

from .errors import PipelineError

DECILES = 10  # bins per numeric feature when comparing (on the base's deciles)


EMPTY_BIN = 1e-4  # a bin one side leaves empty still counts, as if it held this share (PSI has a log)


def drift_params(params: dict) -> dict:
    """The `drift` section of params.yaml, each value checked."""
    section = params.get("drift")
    if not isinstance(section, dict):
        raise PipelineError("params.yaml has no `drift:` section: add it (see the template's params.yaml)")
    checks = {
        "quantiles": (lambda value: type(value) is int and value >= DECILES, f"a whole number of at least {DECILES}"),
        "top_categories": (lambda value: type(value) is int and value >= 1, "a whole number of at least 1"),
        "psi_threshold": (lambda value: type(value) in (int, float) and value > 0, "a number above 0, e.g. 0.2"),
        "fail_gate": (lambda value: type(value) is bool, "true or false"),
    }
    for key, (valid, wanted) in checks.items():
        if not valid(section.get(key)):
            raise PipelineError(f"params.yaml: drift.{key} is {section.get(key)!r}; it must be {wanted}")
    return section


def drift_columns(schema: dict) -> tuple[list[str], list[str]]:
    """(numeric, categorical) features whose distributions are compared with the base branch:
    not the count features, which grow with the data (twice the rows, twice every count)."""
    numeric = [column for column in schema["numeric"] if column not in schema["counts"]]
    categorical = [column for column in schema["features"] if column not in schema["numeric"]]
    return numeric, categorical


# --- Summaries (preprocess) -------------------------------------------------------------
def feature_distributions(frame: pd.DataFrame, numeric: list[str], categorical: list[str], params: dict) -> dict:
    """The summary of each feature of `frame` that the comparison needs (the Dask engine computes
    the same numbers on its cluster, engine/dask/splits.py, and summarises them here)."""
    summaries: dict[str, dict] = {}
    for column in numeric:
        values = frame[column].astype("float64")
        present = values.dropna()
        quantiles = np.quantile(present, quantile_levels(params)) if len(present) else []
        summaries[column] = numeric_summary(values.isna().mean(), quantiles)
    for column in categorical:
        values = frame[column]
        summaries[column] = categorical_summary(values.isna().mean(), values.value_counts(), len(values), params)
    return {"rows": len(frame), "features": summaries}


def quantile_levels(params: dict) -> np.ndarray:
    return np.linspace(0, 1, params["quantiles"] + 1)


def numeric_summary(missing_share: float, quantiles) -> dict:
    return {"kind": "numeric", "missing": _share(missing_share), "quantiles": [_round(value) for value in quantiles]}


def categorical_summary(missing_share: float, counts: pd.Series, rows: int, params: dict) -> dict:
    """The shares of the `drift.top_categories` most frequent values (counts: rows per value)."""
    shares = counts.sort_values(ascending=False, kind="stable").head(params["top_categories"]) / max(rows, 1)
    return {
        "kind": "categorical",
        "missing": _share(missing_share),
        "top": {str(name): _share(share) for name, share in shares.items() if share > 0},
    }


def _share(value) -> float:
    return round(float(value), 6)


def _round(value) -> float:
    return float(f"{float(value):.8g}")


# --- Comparison (the report, the gate) ---------------------------------------------------
def psi(current: np.ndarray, base: np.ndarray) -> float:
    """Population stability index of two share vectors over the same bins."""
    current, base = np.maximum(current, EMPTY_BIN), np.maximum(base, EMPTY_BIN)
    return float(np.sum((current - base) * np.log(current / base)))


def cdf(quantiles: list[float], points: np.ndarray) -> np.ndarray:
    """The share of values <= each point, read off a feature's stored quantiles (linear between them)."""
    values = np.asarray(quantiles, dtype=float)
    levels = np.linspace(0, 1, len(values))
    above = np.searchsorted(values, points, side="right")  # quantiles <= point
    result = np.empty(len(points))
    for i, (point, count) in enumerate(zip(points, above, strict=True)):
        if count == 0:
            result[i] = 0.0
        elif count == len(values):
            result[i] = 1.0
        else:
            low, high = values[count - 1], values[count]
            result[i] = levels[count - 1] + (point - low) / (high - low) * (levels[count] - levels[count - 1])
    return result


def numeric_shares(summary: dict, edges: np.ndarray) -> np.ndarray:
    """Shares of the bins (-inf, e1], (e1, e2], ..., (ek, inf) and missing, from a numeric summary."""
    present = 1.0 - summary["missing"]
    if not summary["quantiles"]:
        return np.array([0.0] * (len(edges) + 1) + [summary["missing"]])
    below = np.concatenate([[0.0], cdf(summary["quantiles"], edges), [1.0]])
    return np.append(np.diff(below) * present, summary["missing"])


def categorical_shares(summary: dict, categories: list[str]) -> np.ndarray:
    """Shares of `categories`, of every other value, and of missing, from a categorical summary."""
    named = [summary["top"].get(name, 0.0) for name in categories]
    other = max(1.0 - summary["missing"] - sum(named), 0.0)
    return np.array([*named, other, summary["missing"]])


def feature_psi(current: dict, base: dict) -> float:
    if current["kind"] != base["kind"]:
        return math.inf  # a numeric feature became categorical, or the reverse
    if current["kind"] == "numeric":
        base_quantiles = base["quantiles"]
        positions = np.linspace(0, len(base_quantiles) - 1, DECILES + 1)[1:-1].round().astype(int)
        edges = np.unique([base_quantiles[p] for p in positions]) if base_quantiles else np.array([])
        return psi(numeric_shares(current, edges), numeric_shares(base, edges))
    # Categories named on both sides compare one by one; the rest of each side is "other".
    shared = sorted(set(current["top"]) & set(base["top"]))
    return psi(categorical_shares(current, shared), categorical_shares(base, shared))


def compare(current: dict, base: dict) -> dict[str, float | None]:
    """Each feature's PSI; None for a feature only one side has (added or removed)."""
    now, before = current["features"], base["features"]
    return {
        name: feature_psi(now[name], before[name]) if name in now and name in before else None
        for name in [*now, *(name for name in before if name not in now)]
    }


def drifted(scores: dict[str, float | None], threshold: float) -> list[str]:
    """The features whose PSI is above `threshold` (features only one side has are not scored)."""
    return [name for name, score in scores.items() if score is not None and score > threshold]
