"""The report's "Data drift" section: each feature's population stability index against the base
branch's training data (the maths: core/drift.py), the ones over drift.psi_threshold flagged."""

import math

from ..core.drift import compare, drifted


def drift_section(current: dict | None, base: dict | None, base_label: str, params: dict) -> list[str]:
    """The report's "Data drift" section: each feature's PSI against the base, the ones over the threshold flagged."""
    threshold = params["psi_threshold"]
    lines = ["## Data drift", ""]
    if current is None:
        return [*lines, "No feature distributions: the preprocess stage has not run."]
    if base is None:
        return [*lines, f"_{base_label} has no feature distributions yet: no drift to compute._"]
    scores = compare(current, base)
    flagged = drifted(scores, threshold)
    verdict = (
        f"**{len(flagged)} feature(s) drifted**: {', '.join(f'`{name}`' for name in flagged)}."
        if flagged
        else "No feature drifted."
    )
    lines += [
        f"Training data of this branch against {base_label}: population stability index (PSI) per feature, "
        f"flagged above drift.psi_threshold = {threshold} (params.yaml). "
        "Below 0.1 is stable, 0.1-0.25 a moderate shift, above 0.25 a major one."
        + (
            " Drift fails the gate (drift.fail_gate)."
            if params["fail_gate"]
            else " Drift informs; it does not fail the gate."
        ),
        "",
        verdict,
        "",
        "| Feature | Kind | PSI | |",
        "|---|---|---|---|",
    ]
    for name, score in sorted(scores.items(), key=lambda item: -(item[1] if item[1] is not None else math.inf)):
        kind = (current["features"].get(name) or base["features"][name])["kind"]
        if score is None:
            where = "added on this branch" if name in current["features"] else f"only in {base_label}"
            lines.append(f"| {name} | {kind} | – | {where} |")
        else:
            lines.append(f"| {name} | {kind} | {score:.4f} | {'⚠️ drifted' if score > threshold else ''} |")
    return lines
