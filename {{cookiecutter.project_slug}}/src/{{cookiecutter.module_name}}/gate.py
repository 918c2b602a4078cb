"""The gate: fail the run when the model is worse than baseline.txt or a sanity check failed.

Not a DVC stage on purpose: it reads only small files, so it runs after every `dvc repro`
(make repro, CI) without retraining, and a changed baseline takes effect at once.

    python -m {{ cookiecutter.module_name }}.gate                    # check; exit 1 on failure
    python -m {{ cookiecutter.module_name }}.gate --raise-baseline   # the ratchet (make baseline)
"""

import argparse
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .common import BASELINE_FILE, METRICS_FILE, SANITY_FILE, PipelineError, load_params, read_json, run

LOWER_IS_BETTER = {"log_loss"}
NUMBER_LINE = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


@dataclass
class Verdict:
    metric: str
    value: float
    baseline: float
    metric_failure: str | None = None
    sanity_failures: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[str]:
        return ([self.metric_failure] if self.metric_failure else []) + self.sanity_failures

    @property
    def passed(self) -> bool:
        return not self.failures


def read_baseline(path: Path = BASELINE_FILE) -> float:
    """The first line of baseline.txt that holds a number; lines starting with # are comments."""
    if not path.exists():
        raise PipelineError(f"{path} is missing: create it with `make baseline` (it holds the gate's floor)")
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            if not NUMBER_LINE.match(line):
                raise PipelineError(f"{path}: {line.strip()!r} is not a number; the file holds one number")
            return float(line)
    raise PipelineError(f"{path} holds no number: put the gate metric's floor on a line of its own")


def write_baseline(value: float, path: Path = BASELINE_FILE) -> None:
    """Replace the number in baseline.txt, keeping its comments."""
    lines = path.read_text().splitlines() if path.exists() else []
    kept = [line for line in lines if not line.strip() or line.lstrip().startswith("#")]
    path.write_text("\n".join([*kept, f"{value:.5f}"]) + "\n")


def evaluate_gate(metrics: dict, sanity: dict, baseline: float, metric: str) -> Verdict:
    if metric not in metrics:
        raise PipelineError(f"params.yaml: gate.metric {metric!r} is not in {METRICS_FILE} ({', '.join(metrics)})")
    value = float(metrics[metric])
    verdict = Verdict(metric, value, baseline)
    worse = value > baseline if metric in LOWER_IS_BETTER else value < baseline
    if worse:
        verdict.metric_failure = (
            f"{metric} {value:.5f} is worse than the baseline {baseline:.5f} in {BASELINE_FILE} "
            f"(by {abs(value - baseline):.5f}). Improve the model (params.yaml: train), or, if the drop is "
            f"intended and reviewed, lower the floor explicitly: make baseline FORCE=1"
        )
    for check in sanity["checks"]:
        if not check["passed"]:
            verdict.sanity_failures.append(
                f"sanity check {check['name']} failed: value {check['value']} vs threshold {check['threshold']} "
                f"({check['detail']}). See {SANITY_FILE}; thresholds are in params.yaml (sanity)"
            )
    return verdict


def current_verdict(baseline: float | None = None) -> Verdict:
    """The gate on the pipeline's current results, against baseline.txt unless `baseline` is given."""
    metric = load_params()["gate"]["metric"]
    for path in (METRICS_FILE, SANITY_FILE):
        if not path.exists():
            raise PipelineError(f"{path} is missing: run the pipeline first (make repro)")
    floor = read_baseline() if baseline is None else baseline
    return evaluate_gate(read_json(METRICS_FILE), read_json(SANITY_FILE), floor, metric)


def raise_baseline(force: bool) -> None:
    """The ratchet: set baseline.txt to the current metric if that is better (or if forced)."""
    # With no baseline.txt yet, this sets the first floor: there is nothing to compare with.
    verdict = current_verdict(baseline=None if BASELINE_FILE.exists() else math.nan)
    if verdict.sanity_failures and not force:
        raise PipelineError(
            f"a model that fails a sanity check does not set the floor: {verdict.sanity_failures[0]}. "
            "Fix the model, or override on purpose: make baseline FORCE=1"
        )
    if math.isnan(verdict.baseline):
        write_baseline(verdict.value)
        print(f"baseline: created {BASELINE_FILE} with {verdict.metric} {verdict.value:.5f}; commit it")
        return
    better = verdict.value < verdict.baseline if verdict.metric in LOWER_IS_BETTER else verdict.value > verdict.baseline
    if verdict.value == verdict.baseline:
        print(f"baseline: {verdict.metric} {verdict.value:.5f} already equals {BASELINE_FILE}; nothing to do")
        return
    if not better and not force:
        raise PipelineError(
            f"{verdict.metric} {verdict.value:.5f} is worse than the baseline {verdict.baseline:.5f}; "
            "the baseline only moves up. To lower it on purpose: make baseline FORCE=1"
        )
    write_baseline(verdict.value)
    print(
        f"baseline: {BASELINE_FILE} {verdict.baseline:.5f} -> {verdict.value:.5f}; commit it to make it the new floor"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Check the model against baseline.txt and the sanity checks.")
    parser.add_argument("--raise-baseline", action="store_true", help="set baseline.txt to the current metric")
    parser.add_argument("--force", action="store_true", help="with --raise-baseline: allow lowering it")
    arguments = parser.parse_args()
    if arguments.raise_baseline:
        raise_baseline(arguments.force)
        return
    verdict = current_verdict()
    if verdict.passed:
        relation = "<=" if verdict.metric in LOWER_IS_BETTER else ">="
        print(f"gate passed: {verdict.metric} {verdict.value:.5f} {relation} baseline {verdict.baseline:.5f}")
        return
    print("GATE FAILED", file=sys.stderr)
    for failure in verdict.failures:
        print(f"  - {failure}", file=sys.stderr)
    sys.exit(1)


if __name__ == "__main__":
    run(main)
