"""The gate: fail the run when the model is worse than baseline.txt or a sanity check failed.

Not a DVC stage on purpose: it reads only small files, so it runs after every `dvc repro`
(make repro, CI) without retraining, and a changed baseline takes effect at once. Its rules are
evaluation/verdict.py's, shared with `make release` and the CI report.

    python -m {{ cookiecutter.module_name }}.ops.gate                    # check; exit 1 on failure (make gate)
    python -m {{ cookiecutter.module_name }}.ops.gate --raise-baseline   # the ratchet (make baseline)
"""

import argparse
import json
import math
import subprocess
import sys
from pathlib import Path

from ..core.drift import compare, drift_params, drifted
from ..core.errors import PipelineError, run
from ..core.files import read_json
from ..core.params import load_params
from ..core.paths import BASELINE_FILE, FEATURE_DISTRIBUTIONS_FILE
from ..core.provenance import check_written_by_pipeline
from ..evaluation.verdict import LOWER_IS_BETTER, current_verdict


def write_baseline(value: float, path: Path = BASELINE_FILE) -> None:
    """Replace the number in baseline.txt, keeping its comments."""
    lines = path.read_text().splitlines() if path.exists() else []
    kept = [line for line in lines if not line.strip() or line.lstrip().startswith("#")]
    path.write_text("\n".join([*kept, f"{value:.5f}"]) + "\n")


def raise_baseline(force: bool) -> None:
    """The ratchet: set baseline.txt to the current metric if that is better (or if forced)."""
    # With no baseline.txt yet, this sets the first floor: there is nothing to compare with.
    verdict = current_verdict(no_floor=not BASELINE_FILE.exists())
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


def drift_failures(base: str) -> list[str]:
    """With drift.fail_gate true, one gate failure per feature over drift.psi_threshold against
    `base` (origin/<base> when there is one); none otherwise, or when the base has no summaries."""
    settings = drift_params(load_params())
    if not settings["fail_gate"]:
        return []
    for rev in (f"origin/{base}", base):
        shown = subprocess.run(
            ["git", "show", f"{rev}:{FEATURE_DISTRIBUTIONS_FILE.as_posix()}"], capture_output=True, check=False
        )
        if shown.returncode == 0:
            break
    else:
        print(f"gate: {base} has no {FEATURE_DISTRIBUTIONS_FILE}: drift not checked", file=sys.stderr)
        return []
    check_written_by_pipeline(FEATURE_DISTRIBUTIONS_FILE)
    scores = compare(read_json(FEATURE_DISTRIBUTIONS_FILE), json.loads(shown.stdout))
    threshold = settings["psi_threshold"]
    return [
        f"feature {name} drifted from {rev}: PSI {scores[name]:.4f} > drift.psi_threshold {threshold} "
        "(drift.fail_gate is true in params.yaml; see the report's Data drift section)"
        for name in drifted(scores, threshold)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description="Check the model against baseline.txt and the sanity checks.")
    parser.add_argument("--raise-baseline", action="store_true", help="set baseline.txt to the current metric")
    parser.add_argument("--force", action="store_true", help="with --raise-baseline: allow lowering it")
    parser.add_argument(
        "--base", help="branch whose data drift fails the gate, when params.yaml drift.fail_gate is true"
    )
    arguments = parser.parse_args()
    if arguments.raise_baseline:
        raise_baseline(arguments.force)
        return
    verdict = current_verdict()
    drift = drift_failures(arguments.base) if arguments.base else []
    if verdict.passed and not drift:
        relation = "<=" if verdict.metric in LOWER_IS_BETTER else ">="
        print(f"gate passed: {verdict.metric} {verdict.value:.5f} {relation} baseline {verdict.baseline:.5f}")
        return
    print("GATE FAILED", file=sys.stderr)
    for failure in [*verdict.failures, *drift]:
        print(f"  - {failure}", file=sys.stderr)
    sys.exit(1)


if __name__ == "__main__":
    run(main)
