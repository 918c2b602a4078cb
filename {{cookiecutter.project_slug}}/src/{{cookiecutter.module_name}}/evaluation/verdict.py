"""The gate's rules: the model's metric against baseline.txt, and every sanity check passed.

The verdict is computed from files only (metrics.json, reports/sanity.json, the data profile,
baseline.txt), so `make gate`, `make baseline`, `make release` and the CI report reach the same
one. Each result file must be byte for byte what its stage wrote, as dvc.lock records it
(core/provenance.py): a hand-edited or stale result fails, naming the file and the stage. And
anything that is not what the pipeline writes (a metric that is not a finite number in its range,
a sanity file missing checks) is an error, never a pass, even with dvc.lock edited to match.
"""

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import PipelineError
from ..core.files import read_json
from ..core.params import load_params
from ..core.paths import BASELINE_FILE, DATA_PROFILE_FILE, METRICS_FILE, SANITY_FILE
from ..core.provenance import check_written_by_pipeline
from ..core.target import task_of
from .checks import required_sanity_checks

# The values each metric of metrics.json can take; a metric or a baseline outside is refused.
METRIC_RANGES = {
    "accuracy": (0.0, 1.0),
    "f1": (0.0, 1.0),
    "precision": (0.0, 1.0),
    "recall": (0.0, 1.0),
    "roc_auc": (0.0, 1.0),
    "log_loss": (0.0, math.inf),
    # regression (evaluation/metrics.py): errors in the target's units, and r2 (1 is perfect, 0 is what
    # always predicting the mean scores, below 0 is worse than that)
    "rmse": (0.0, math.inf),
    "mae": (0.0, math.inf),
    "r2": (-math.inf, 1.0),
}


LOWER_IS_BETTER = {"log_loss", "rmse", "mae"}


# Which metrics each task's evaluate writes (data.task, decided in preprocess).
TASK_METRICS = {
    "classification": ["accuracy", "f1", "precision", "recall", "roc_auc", "log_loss"],
    "regression": ["rmse", "mae", "r2"],
}


NUMBER_LINE = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")


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


# --- Reading the inputs: anything that is not exactly what the pipeline writes is an error ------
def checked_number(value, metric: str, where: str) -> float:
    """`value` as a float, if it is a finite number within the metric's range; else a PipelineError."""
    try:
        finite = not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        finite = False
    if not finite:
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        raise PipelineError(
            f"{where}: {metric} is {shown}, not a finite number. Rerun the pipeline (make repro), or fix the file"
        )
    low, high = METRIC_RANGES.get(metric, (-math.inf, math.inf))
    if not low <= value <= high:
        raise PipelineError(f"{where}: {metric} {value!r} lies outside its valid range [{low}, {high}]")
    return float(value)


def read_baseline(path: Path = BASELINE_FILE) -> float:
    """The one number in baseline.txt; other lines are blank or comments starting with #.

    Lines end at "\n" only, as git and editors show them: a form feed or Unicode line separator
    inside a comment does not start a new line here, and a second number is an error rather
    than silently ignored.
    """
    if not path.is_file():
        raise PipelineError(f"{path} is missing: create it with `make baseline` (it holds the gate's floor)")
    lines = path.read_bytes().decode("utf-8", errors="replace").split("\n")
    numbers = [line.removesuffix("\r") for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not numbers:
        raise PipelineError(f"{path} holds no number: put the gate metric's floor on a line of its own")
    if len(numbers) > 1 or not NUMBER_LINE.fullmatch(numbers[0]):
        shown = numbers[0] if len(numbers) == 1 else " / ".join(numbers[:3])
        raise PipelineError(f"{path}: {shown.strip()[:60]!r} is not one number; the file holds the floor alone")
    value = float(numbers[0])
    if not math.isfinite(value):
        raise PipelineError(f"{path}: {numbers[0].strip()!r} is not a finite number; the file holds one number")
    return value


def gate_metric(params: dict) -> str:
    gate = params.get("gate")
    metric = gate.get("metric") if isinstance(gate, dict) else None
    if not isinstance(metric, str) or not metric:
        raise PipelineError("params.yaml has no gate.metric: add a `gate:` section with `metric: roc_auc` (see README)")
    if metric not in METRIC_RANGES:
        raise PipelineError(
            f"params.yaml: gate.metric {metric!r} is not a model metric the gate knows: choose one of "
            f"{', '.join(METRIC_RANGES)} (a metric of your own needs its valid range in METRIC_RANGES, "
            "evaluation/verdict.py)"
        )
    return metric


def check_metric_fits_task(metric: str, task: str) -> None:
    """A gate metric of the other task (roc_auc on a regression target) is one clear error."""
    known = TASK_METRICS.get(task)
    if known is not None and metric not in known:
        raise PipelineError(
            f"params.yaml: gate.metric {metric!r} is not a {task} metric; the target is {task} "
            f"({DATA_PROFILE_FILE}: task), so choose one of {', '.join(known)}"
        )


def checked_sanity(sanity, required: list[str]) -> list[dict]:
    """The sanity file's checks, if it is well formed and holds every check the pipeline writes."""
    where = str(SANITY_FILE)
    if not isinstance(sanity, dict) or not isinstance(sanity.get("checks"), list) or not sanity["checks"]:
        raise PipelineError(f"{where} holds no list of checks: rerun the pipeline (make repro) to write it again")
    for check in sanity["checks"]:
        well_formed = isinstance(check, dict) and isinstance(check.get("name"), str)
        if not well_formed or type(check.get("passed")) is not bool:  # "false" or 0 are not booleans
            raise PipelineError(
                f"{where}: check {check!r} needs a name and a true/false `passed`: rerun the pipeline (make repro)"
            )
    if "passed" in sanity and sanity["passed"] is not all(check["passed"] for check in sanity["checks"]):
        raise PipelineError(f"{where}: its overall `passed` contradicts its checks: rerun the pipeline (make repro)")
    missing = sorted(set(required) - {check["name"] for check in sanity["checks"]})
    if missing:
        raise PipelineError(f"{where} lacks the checks {missing}: rerun the pipeline (make repro) to write them")
    return sanity["checks"]


def evaluate_gate(metrics, sanity, baseline: float | None, metric: str, required_checks: Sequence[str] = ()) -> Verdict:
    """The verdict; `baseline` None means there is no floor yet (the ratchet's first run)."""
    if not isinstance(metrics, dict):
        kind = type(metrics).__name__
        raise PipelineError(f"{METRICS_FILE} holds a {kind}, not an object of metrics: rerun the pipeline (make repro)")
    if metric not in metrics:
        raise PipelineError(f"params.yaml: gate.metric {metric!r} is not in {METRICS_FILE} ({', '.join(metrics)})")
    value = checked_number(metrics[metric], metric, str(METRICS_FILE))
    if baseline is not None:
        checked_number(baseline, metric, str(BASELINE_FILE))
    checks = checked_sanity(sanity, list(required_checks))
    verdict = Verdict(metric, value, math.nan if baseline is None else baseline)
    worse = baseline is not None and (value > baseline if metric in LOWER_IS_BETTER else value < baseline)
    if worse and baseline is not None:  # (repeated for mypy, which does not narrow through `worse`)
        verdict.metric_failure = (
            f"{metric} {value:.5f} is worse than the baseline {baseline:.5f} in {BASELINE_FILE} "
            f"(by {abs(value - baseline):.5f}). Improve the model (params.yaml: train), or, if the drop is "
            f"intended and reviewed, lower the floor explicitly: make baseline FORCE=1"
        )
    for check in checks:
        if not check["passed"]:
            verdict.sanity_failures.append(
                f"sanity check {check['name']} failed: value {check.get('value')} vs threshold "
                f"{check.get('threshold')} ({check.get('detail')}). See {SANITY_FILE}; thresholds are in "
                "params.yaml (sanity)"
            )
    return verdict


def current_verdict(no_floor: bool = False) -> Verdict:
    """The gate on the pipeline's current results, against baseline.txt (or no floor at all)."""
    metric = gate_metric(load_params(required=("gate",)))
    for path in (METRICS_FILE, SANITY_FILE, DATA_PROFILE_FILE):
        if not path.exists():
            raise PipelineError(f"{path} is missing: run the pipeline first (make repro)")
    for path in (METRICS_FILE, SANITY_FILE, DATA_PROFILE_FILE):
        check_written_by_pipeline(path)
    profile = read_json(DATA_PROFILE_FILE)
    check_metric_fits_task(metric, task_of(profile))
    floor = None if no_floor else read_baseline()
    required = required_sanity_checks(profile)
    return evaluate_gate(read_json(METRICS_FILE), read_json(SANITY_FILE), floor, metric, required)
