"""The model report: how this branch's model compares with the base branch (main by default).

`make report` writes cml-report/report.md and its images; CI posts it on the pull / merge request
with `cml comment update` (one comment per request, replaced on each push). In order: the gate
verdict, the metrics and params diffs, what changed in the data, the sanity checks, plots of
this branch against the base, feature importance, the pipeline DAG, and where it ran.

It reads only files: the pipeline's small outputs (metrics.json, reports/*) and the base branch's
copies of them (`git show`), so it is built even when the gate fails, and it says so when the base
branch has no such file yet (its first pipeline) or cannot be found (a shallow clone: make fetch-base).

    python -m {{ cookiecutter.module_name }}.report --base main --out cml-report
"""

import argparse
import io
import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display needed
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from .common import (  # noqa: E402
    BASELINE_FILE,
    CONFUSION_MATRIX_FILE,
    DATA_PROFILE_FILE,
    FEATURE_IMPORTANCE_FILE,
    METRICS_FILE,
    PARAMS_FILE,
    PRECISION_RECALL_FILE,
    PREDICTED_VS_ACTUAL_FILE,
    RESIDUALS_FILE,
    ROC_FILE,
    SANITY_FILE,
    TRAIN_INFO_FILE,
    PipelineError,
    gpu_name,
    load_params,
    read_json,
    run,
    task_of,
)
from .gate import LOWER_IS_BETTER, current_verdict  # noqa: E402
from .report_regression import plot_regression, target_rows  # noqa: E402

TOP_FEATURES = 15  # bars in the feature importance plot


# --- Reading this branch and the base ---------------------------------------------------
def git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], capture_output=True, check=False)


def resolve_base(base: str) -> str | None:
    """The revision to compare with: the remote's copy of `base` when there is one (that is what
    the pull request is compared with), else `base` itself; None when neither exists."""
    for candidate in (f"origin/{base}", base):
        if git("rev-parse", "--verify", "--quiet", candidate + "^{commit}").returncode == 0:
            return candidate
    return None


def base_file(rev: str | None, path: Path) -> bytes | None:
    """The content of `path` in revision `rev`, or None when the revision lacks it."""
    if rev is None:
        return None
    result = git("show", f"{rev}:{path.as_posix()}")
    return result.stdout if result.returncode == 0 else None


def base_json(rev: str | None, path: Path) -> dict | None:
    content = base_file(rev, path)
    return json.loads(content) if content is not None else None


def base_csv(rev: str | None, path: Path) -> pd.DataFrame | None:
    content = base_file(rev, path)
    return pd.read_csv(io.BytesIO(content)) if content is not None else None


def local_json(path: Path) -> dict | None:
    return read_json(path) if path.exists() else None


def dvc(*args: str) -> tuple[bool, str]:
    """Run a dvc command of this environment; (succeeded, output or error text)."""
    result = subprocess.run([sys.executable, "-m", "dvc", *args], capture_output=True, text=True, check=False)
    return result.returncode == 0, (result.stdout if result.returncode == 0 else result.stderr).strip()


def short_sha(rev: str) -> str:
    result = git("rev-parse", "--short", rev)
    return result.stdout.decode().strip() if result.returncode == 0 else "?"


def same_commit(rev: str, other: str) -> bool:
    return git("rev-parse", rev + "^{commit}").stdout == git("rev-parse", other + "^{commit}").stdout


def workspace_changed() -> bool:
    """Whether tracked files differ from HEAD (pipeline results included: metrics.json is tracked)."""
    return bool(git("status", "--porcelain", "--untracked-files=no").stdout.strip())


def current_branch() -> str:
    for variable in ("GITHUB_HEAD_REF", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "CI_COMMIT_REF_NAME", "GITHUB_REF_NAME"):
        if os.environ.get(variable):
            return os.environ[variable]
    name = git("rev-parse", "--abbrev-ref", "HEAD").stdout.decode().strip()
    return name if name and name != "HEAD" else "this commit"


# --- Sections ---------------------------------------------------------------------------
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


def params_section(base_rev: str | None, base_label: str) -> list[str]:
    if base_rev is not None and base_file(base_rev, PARAMS_FILE) is None:
        return ["## Params", "", f"{base_label} has no {PARAMS_FILE} yet: every parameter is new."]
    return diff_section(
        "Params", ["params", "diff", base_rev or "", "--md"], base_rev, f"No parameter differs from {base_label}."
    )


def data_section(base_rev: str | None, base_label: str) -> list[str]:
    lines = ["## Data", ""]
    profile = local_json(DATA_PROFILE_FILE)
    if profile is None:
        return [*lines, f"No {DATA_PROFILE_FILE}: the preprocess stage has not run."]
    base = base_json(base_rev, DATA_PROFILE_FILE)
    rows = [
        (f"rows ({split})", count, base["rows"].get(split) if base else None)
        for split, count in profile["rows"].items()
    ]
    if task_of(profile) == "regression":
        rows += target_rows(profile, base)
    else:
        base_balance = (base or {}).get("class_balance") or {}
        classes = sorted(set(profile["class_balance"]) | set(base_balance))
        rows += [
            (f"share of class {name}", profile["class_balance"].get(name), base_balance.get(name)) for name in classes
        ]
    lines += [f"| | {base_label} | This branch | Change |", "|---|---|---|---|"]
    for label, value, old in rows:
        change = "" if value is None or old is None else _signed(value - old)
        lines.append(f"| {label} | {_cell(old)} | {_cell(value)} | {change} |")
    if base is None and base_rev is not None:
        lines += ["", f"_{base_label} has no {DATA_PROFILE_FILE} yet: only this branch's figures are shown._"]
    elif base is not None and base_rev is not None:
        lines += other_profile_changes(base_rev)
    return lines


def other_profile_changes(base_rev: str) -> list[str]:
    """What else in the data profile (missing values, join coverage) changed, as `dvc metrics diff` sees it."""
    succeeded, output = dvc("metrics", "diff", base_rev, "--md", "--targets", str(DATA_PROFILE_FILE))
    rows = [line for line in output.splitlines() if line.startswith("|")] if succeeded else []
    changed = [row for row in rows[2:] if not re.match(r"\|[^|]*\|\s*(rows|class_balance|target_summary)\.", row)]
    if not changed:
        return []
    return ["", f"Other changes in {DATA_PROFILE_FILE}:", "", *rows[:2], *changed]


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
    lines += _images({title: path for title, path in drawn.items() if path}, images_at)
    lines += ["", "## Feature importance", ""]
    if importance is None:
        return [*lines, f"No {FEATURE_IMPORTANCE_FILE}."]
    return [*lines, *_images({"Feature importance": importance}, images_at)]


def dag_section() -> list[str]:
    succeeded, output = dvc("dag", "--md")
    return ["## Pipeline", "", output if succeeded else f"`dvc dag` failed: {output}"]


def where_section() -> list[str]:
    info = local_json(TRAIN_INFO_FILE)
    lines = ["## Where it ran", "", f"- Report built on: {runner_description()}"]
    if info is None:
        return [*lines, f"- No {TRAIN_INFO_FILE}: the train stage has not run."]
    device = info["device"] + (f" ({info['gpu']})" if info.get("gpu") else "")
    packages = ", ".join(f"{name} {version}" for name, version in info["packages"].items())
    return [
        *lines,
        f"- Training: {info['model']} on {info['rows']} rows in {info['train_seconds']} s, device {device}",
        f"- Python {info['python']}; {packages}",
        f"- _From {TRAIN_INFO_FILE}: when DVC restored the train stage from its cache, these are the figures "
        "of the run that trained it._",
    ]


def runner_description() -> str:
    environment = os.environ
    if environment.get("GITHUB_ACTIONS"):
        kind = environment.get("RUNNER_ENVIRONMENT", "runner")
        where = (
            f"GitHub Actions, {kind} runner {environment.get('RUNNER_NAME', '?')} ({environment.get('RUNNER_OS', '?')})"
        )
    elif environment.get("GITLAB_CI"):
        tags = environment.get("CI_RUNNER_TAGS") or "no tags"
        where = f"GitLab CI, runner {environment.get('CI_RUNNER_DESCRIPTION', '?')} (tags: {tags})"
    else:
        where = f"{platform.node()} (not in CI)"
    return f"{where}; {platform.platform()}; GPU: {gpu_name() or 'none'}"


# --- Plots ------------------------------------------------------------------------------
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
    return _save(figure, path)


def curve_label(label: str, metric: str, score: float | None, multi_class: bool) -> str:
    """A curve's legend entry. Multi-class curves are micro averages (evaluate.py: every row and
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
    return _save(figure, path)


def regression_plots(path: Path, base_rev: str | None, base_label: str) -> Path | None:
    """A regression target's plots (report_regression.py), this branch against the base's."""
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
    return _save(figure, path)


def _save(figure, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, format="png", dpi=100)
    plt.close(figure)
    return path


# --- Markdown helpers -------------------------------------------------------------------
def _images(images: dict[str, Path], images_at: str | None) -> list[str]:
    if images_at:  # not uploaded with the comment: point at where they are
        names = ", ".join(f"`{path.name}`" for path in images.values())
        return [f"Images ({names}) are in the `cml-report` artifact of [this CI run]({images_at})."]
    return [f"**{name}**\n\n![{name}]({path.name})\n" for name, path in images.items()]


def _cell(value) -> str:
    if value is None:
        return "–"
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _signed(value) -> str:
    return f"{value:+.4f}" if isinstance(value, float) else f"{value:+d}"


# --- The report -------------------------------------------------------------------------
def build_report(base: str, out: Path, images_at: str | None = None) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    base_rev = resolve_base(base)
    # A branch reads better by name; a commit by its short hash.
    base_label = short_sha(base_rev) if base_rev and base_rev.startswith(short_sha(base_rev)) else (base_rev or base)
    head = f"`{current_branch()}` ({short_sha('HEAD')})"
    if base_rev and same_commit(base_rev, "HEAD"):  # e.g. run locally on main: the workspace is what differs
        state = "with uncommitted changes" if workspace_changed() else "no uncommitted changes"
        intro = (
            f"Comparing the workspace of `{current_branch()}` ({state}) "
            f"with its last commit, `{base_rev}` ({short_sha(base_rev)})."
        )
    elif base_rev:
        intro = f"Comparing {head} with `{base_rev}` ({short_sha(base_rev)})."
    else:
        intro = (
            f"Comparing {head} with nothing: the base branch `{base}` was not found "
            "(in a shallow clone, run `make fetch-base` first). Only this branch's results are shown."
        )
    params = load_params()
    sections = [
        [f"# Model report: {params['train']['model']}", "", intro],
        gate_section(base_rev, base_label),
        diff_section(
            "Metrics",
            ["metrics", "diff", base_rev or "", "--all", "--md", "--precision", "5", "--targets", str(METRICS_FILE)],
            base_rev,
            f"No metrics to compare (is {METRICS_FILE} there?).",
        ),
        params_section(base_rev, base_label),
        data_section(base_rev, base_label),
        sanity_section(),
        plots_section(out, base_rev, base_label, images_at),
        dag_section(),
        where_section(),
    ]
    report = out / "report.md"
    report.write_text("\n\n".join("\n".join(section) for section in sections) + "\n")
    print(f"report: {report} (this branch against {base_label})")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="main", help="branch (or revision) to compare with [main]")
    parser.add_argument("--out", type=Path, default=Path("cml-report"), help="folder for report.md and images")
    parser.add_argument(
        "--images-at",
        metavar="URL",
        help="link to where the images are (e.g. the CI run's artifacts) instead of showing them",
    )
    arguments = parser.parse_args()
    build_report(arguments.base, arguments.out, arguments.images_at)


if __name__ == "__main__":
    run(main)
