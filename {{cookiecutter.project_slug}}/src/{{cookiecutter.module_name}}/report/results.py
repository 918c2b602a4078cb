"""The report's results: the gate's verdict (evaluation/verdict.py, as `make gate` reaches it), the
metrics and params against the base (`dvc metrics diff`, `dvc params diff`), the sanity checks."""

from ..core.errors import PipelineError
from ..core.paths import BASELINE_FILE, METRICS_FILE, PARAMS_FILE, SANITY_FILE
from ..evaluation.verdict import LOWER_IS_BETTER, current_verdict
from .revisions import base_file, base_json, dvc, local_json


def gate_section(base_rev: str | None, base_label: str) -> list[str]:
    try:
        verdict = current_verdict()
    except PipelineError as error:
        return ["## Gate: no verdict", "", f"The gate could not run: {error}."]
    base_metrics = base_json(base_rev, METRICS_FILE)
    base_value = base_metrics.get(verdict.metric) if base_metrics else None
    direction = "lower is better" if verdict.metric in LOWER_IS_BETTER else "higher is better"
    if base_value is None:
        base_cell = f"no {METRICS_FILE} on {base_label} yet" if base_rev else f"{base_label} not found"
    else:
        base_cell = f"{float(base_value):.5f} (this branch: {verdict.value - float(base_value):+.5f})"
    lines = [
        f"## Gate: {'✅ passed' if verdict.passed else '❌ failed'}",
        "",
        f"| Gate metric ({direction}) | {verdict.metric} |",
        "|---|---|",
        f"| This branch | {verdict.value:.5f} |",
        f"| {base_label} | {base_cell} |",
        f"| Floor ({BASELINE_FILE}) | {verdict.baseline:.5f} |",
    ]
    if verdict.failures:
        lines += ["", *[f"- {failure}" for failure in verdict.failures]]
    return lines


def diff_section(title: str, command: list[str], base_rev: str | None, empty: str) -> list[str]:
    lines = [f"## {title}", ""]
    if base_rev is None:
        return [*lines, "No base revision to compare with (see the note at the top)."]
    succeeded, output = dvc(*command)
    if not succeeded:
        return [*lines, f"`dvc {' '.join(command)}` failed:", "", "```", output, "```"]
    table_rows = [line for line in output.splitlines() if line.startswith("|")][2:]
    return [*lines, output if table_rows else empty]


def metrics_section(base_rev: str | None) -> list[str]:
    command = ["metrics", "diff", base_rev or "", "--all", "--md", "--precision", "5", "--targets", str(METRICS_FILE)]
    return diff_section("Metrics", command, base_rev, f"No metrics to compare (is {METRICS_FILE} there?).")


def params_section(base_rev: str | None, base_label: str) -> list[str]:
    if base_rev is not None and base_file(base_rev, PARAMS_FILE) is None:
        return ["## Params", "", f"{base_label} has no {PARAMS_FILE} yet: every parameter is new."]
    return diff_section(
        "Params", ["params", "diff", base_rev or "", "--md"], base_rev, f"No parameter differs from {base_label}."
    )


def sanity_section() -> list[str]:
    lines = ["## Sanity checks", ""]
    sanity = local_json(SANITY_FILE)
    if sanity is None:
        return [*lines, f"No {SANITY_FILE}: the sanity-check stage has not run."]
    lines += ["| Check | Value | Threshold | Result | Detail |", "|---|---|---|---|---|"]
    for check in sanity["checks"]:
        result = "✅ pass" if check["passed"] else "❌ fail"
        lines.append(f"| {check['name']} | {check['value']} | {check['threshold']} | {result} | {check['detail']} |")
    return lines
