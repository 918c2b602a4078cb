"""make monitor: how far the rows a server was asked about have moved from the training data.

The logged rows of one version go through its bundle's row transform, are summarised by the same
code as the training split (core/drift.feature_distributions, as the report's drift section does)
and scored with PSI per feature against the bundle's training distributions; the logged answers'
scores against the test split's (evaluate's prediction_distribution.json); plus the share of ids
training never saw (count columns) and of keys no lookup table holds. Writes <monitor.report>/
report.md with a plot, and exits 1 when monitor.fail_on_drift is true and a feature drifted.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from ..core.drift import compare, drift_columns, drifted, feature_distributions
from ..core.errors import PipelineError
from ..core.files import atomic_path, write_json
from ..core.tables import to_category
from ..features import as_keys
from ..scoring.score import Scorer, prediction_distribution
from .bundles import Release
from .log import read_log
from .requests import RequestError, checked_rows


def logged_entries(path: Path, version: str) -> tuple[list[dict], dict[str, int]]:
    """The log's entries answered by `version`, and how many requests each version answered."""
    if not path.exists():
        raise PipelineError(f"{path}: no such request log (serve.log in params.yaml says where make serve writes it)")
    try:
        entries = read_log(path)
    except (ValueError, UnicodeDecodeError) as error:
        raise PipelineError(f"{path}: a line is not JSON ({error}); is it a request log?") from None
    versions: dict[str, int] = {}
    for entry in entries:
        versions[str(entry.get("version"))] = versions.get(str(entry.get("version")), 0) + 1
    return [entry for entry in entries if entry.get("version") == version], versions


def unseen_shares(scorer: Scorer, rows: pd.DataFrame, coverage: dict[str, float]) -> dict[str, float]:
    """Per count column, the share of its present values that training never saw; per lookup, the
    share of rows whose key it does not hold."""
    shares = {}
    for column, counts in scorer.bundle.counts.items():
        keys = as_keys(rows[column]).dropna()
        shares[column] = float((~keys.isin(counts.index)).mean()) if len(keys) else 0.0
    for source, share in coverage.items():
        shares[f"key not in {Path(source).name}"] = 1.0 - share
    return shares


def monitor(log: Path, release: Release, scorer: Scorer, settings: dict) -> dict:
    """The drift of the rows `log` holds for `release`; writes the report and returns its summary."""
    entries, versions = logged_entries(log, release.version)
    if not entries:
        counted = ", ".join(f"{version} ({count})" for version, count in versions.items()) or "none"
        raise PipelineError(
            f"{log}: no request answered by {release.name}@{release.version}; versions logged: {counted}"
        )
    bundle = scorer.bundle
    try:
        frame, _ = checked_rows([row for entry in entries for row in entry["rows"]], scorer.columns, 1 << 62)
    except RequestError as error:
        raise PipelineError(f"{log}: {error}") from None
    frame.attrs["source"] = str(log)
    scored = scorer.score(frame)
    numeric, categorical = drift_columns(bundle.schema)  # by the model's names, as the training summaries
    rows = scored.rows.rename(columns=bundle.schema.get("renamed") or {})
    features = pd.DataFrame({column: rows[column] for column in numeric})
    for column in categorical:
        features[column] = to_category(rows[column])
    drift = bundle.manifest["drift"]
    feature_psi = compare(feature_distributions(features, numeric, categorical, drift), bundle.feature_distributions)
    key = "probabilities" if bundle.schema["task"] == "classification" else "predictions"
    answered = np.asarray([value for entry in entries for value in entry[key]], dtype=np.float64)
    score_psi = compare(prediction_distribution(answered, bundle.schema, drift), bundle.prediction_distribution)
    judged = len(frame) >= settings["min_rows"]
    summary = {
        "log": str(log),
        "model": release.name,
        "version": release.version,
        "requests": len(entries),
        "rows": len(frame),
        "other_versions": {version: count for version, count in versions.items() if version != release.version},
        "psi_threshold": settings["psi_threshold"],
        "judged": judged,
        "feature_psi": feature_psi,
        "prediction_psi": score_psi,
        "drifted": drifted(feature_psi, settings["psi_threshold"]) if judged else [],
        "predictions_drifted": drifted(score_psi, settings["psi_threshold"]) if judged else [],
        "unseen": unseen_shares(scorer, scored.rows, scored.coverage),
    }
    write_report(Path(settings["report"]), summary)
    return summary


def write_report(folder: Path, summary: dict) -> None:
    """<folder>/report.md, psi.png and summary.json, each written whole or not at all."""
    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / "summary.json", summary)
    plot(summary, folder / "psi.png")
    threshold = summary["psi_threshold"]
    lines = [
        f"# Monitoring: {summary['model']}@{summary['version']}",
        "",
        f"{summary['rows']} rows in {summary['requests']} requests ({summary['log']}), against the training data.",
    ]
    if summary["other_versions"]:
        others = ", ".join(f"{version} ({count})" for version, count in summary["other_versions"].items())
        lines.append(f"Requests answered by other versions, left out: {others}.")
    if not summary["judged"]:
        lines.append("**Too few rows to judge drift** (monitor.min_rows); the scores below are indicative only.")
    flagged = summary["drifted"]
    lines += ["", f"**Drifted features** (PSI > {threshold}): {', '.join(flagged) if flagged else 'none'}.", ""]
    lines += ["| feature | PSI | |", "|---|---:|---|"]
    for name, value in summary["feature_psi"].items():
        shown = "new" if value is None else f"{value:.4f}"
        lines.append(f"| {name} | {shown} | {'drifted' if name in flagged else ''} |")
    lines += ["", "| prediction score | PSI | |", "|---|---:|---|"]
    for name, value in summary["prediction_psi"].items():
        mark = "drifted" if name in summary["predictions_drifted"] else ""
        lines.append(f"| {name} | {'new' if value is None else f'{value:.4f}'} | {mark} |")
    lines += ["", "| ids training never saw | share of rows |", "|---|---:|"]
    lines += [f"| {name} | {share:.4f} |" for name, share in summary["unseen"].items()]
    lines += ["", "![PSI per feature](psi.png)", ""]
    with atomic_path(folder / "report.md") as temporary:
        temporary.write_text("\n".join(lines))


def plot(summary: dict, path: Path) -> None:
    import matplotlib  # heavy: only make monitor draws

    matplotlib.use("Agg")  # no display: files only
    from matplotlib import pyplot  # after use("Agg"), which must come first

    scores = {name: value for name, value in summary["feature_psi"].items() if value is not None}
    figure, axes = pyplot.subplots(figsize=(7, 0.35 * len(scores) + 1.5))
    names = list(scores)
    axes.barh(
        names,
        [min(scores[name], 5.0) for name in names],
        color=["#d62728" if name in summary["drifted"] else "#1f77b4" for name in names],
    )
    axes.axvline(summary["psi_threshold"], color="black", linestyle="--", linewidth=1, label="monitor.psi_threshold")
    axes.set_xlabel("PSI against the training data")
    axes.invert_yaxis()
    axes.legend(loc="lower right")
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=100)
    pyplot.close(figure)


def outcome(summary: dict, fail_on_drift: bool) -> tuple[str, bool]:
    """(the line make monitor prints, whether it fails)."""
    flagged = summary["drifted"]
    line = (
        f"monitor: {summary['rows']} rows of {summary['model']}@{summary['version']}: "
        + (f"drifted: {', '.join(flagged)}" if flagged else "no feature drifted")
        + ("" if summary["judged"] else " (too few rows to judge)")
    )
    return line, bool(flagged) and fail_on_drift
