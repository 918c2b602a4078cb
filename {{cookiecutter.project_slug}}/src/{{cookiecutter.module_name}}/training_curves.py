"""Training curves: the model's loss after each boosting round, on the training and validation rows.

train writes them with dvclive (dvc.org/doc/dvclive) into reports/training/ (committed), as the
files `dvc plots show`, `dvc plots diff main` and DVC Studio read; the CI report draws this
branch's curves against the base branch's copy (`git show`).

xgboost records each round's loss on the rows of its eval_set while it trains (models.py
passes a sample of the training rows as large as the validation slice, and the validation
slice); they are logged once the fit is done, so no callback ends up inside the pickled model.
They are written by dvclive's metric writer, in the layout that `Live.log_metric` uses
(plots/metrics/<split>/<metric>.tsv, columns step and the metric), but without `Live` itself:
train already is a DVC stage, so Live's experiment tracking (dvc exp, Studio, git) has nothing
to add, and it fails in a git repository without a commit yet.
Random forests and extra trees grow their trees independently, with no loss after each one to
plot: for them the folder holds only a note.
"""

import io
import subprocess
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from .common import TRAINING_CURVES_DIR, atomic_path

# What xgboost calls each entry of eval_set (models.fit_model's order), and what the curves call it.
SPLITS = {"validation_0": "train", "validation_1": "validation"}
NOTE_FILE = "no_curves.txt"
NOT_PER_ITERATION = "not per iteration: {model} grows its trees independently, with no loss after each tree"


def curves_of(model) -> dict[str, dict[str, list[float]]]:
    """{split: {metric: one value per round}} that xgboost recorded; empty for other models."""
    recorded = model.evals_result() if hasattr(model, "evals_result") else {}
    return {SPLITS.get(name, name): metrics for name, metrics in recorded.items()}


def write_curves(model, model_name: str, folder: Path = TRAINING_CURVES_DIR) -> str:
    """Write the curves (or the note that there are none) into `folder`; a line for the log."""
    from dvclive.plots import Metric

    curves = curves_of(model)
    with atomic_path(folder, directory=True) as temporary:
        if not curves:
            (temporary / NOTE_FILE).write_text(NOT_PER_ITERATION.format(model=model_name) + "\n")
            return NOT_PER_ITERATION.format(model=model_name)
        for split, metrics in curves.items():
            for metric, values in metrics.items():
                writer = Metric(f"{split}/{metric}", str(temporary / "plots"))
                for step, value in enumerate(values):
                    writer.step = step
                    writer.dump(float(value))
    rounds = max(len(values) for metrics in curves.values() for values in metrics.values())
    return f"{rounds} rounds of {', '.join(sorted({m for metrics in curves.values() for m in metrics}))}"


# --- The report's section ----------------------------------------------------------------
def curve_tables(files: dict[str, bytes]) -> dict[str, pd.DataFrame]:
    """{"validation/logloss": its (step, value) table} from dvclive's TSV files, keyed by their path."""
    tables = {}
    for path, content in files.items():
        split, metric = Path(path).parent.name, Path(path).stem
        table = pd.read_csv(io.BytesIO(content), sep="\t")
        tables[f"{split}/{metric}"] = table[["step", metric]].rename(columns={metric: "value"})
    return tables


def this_branch_files(folder: Path = TRAINING_CURVES_DIR) -> dict[str, bytes]:
    return {path.as_posix(): path.read_bytes() for path in sorted((folder / "plots/metrics").glob("*/*.tsv"))}


def base_files(base_rev: str | None, folder: Path = TRAINING_CURVES_DIR) -> dict[str, bytes]:
    """The base revision's committed curve files (git ls-tree, git show): none of its data is downloaded."""
    if base_rev is None:
        return {}
    listed = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", base_rev, "--", f"{folder.as_posix()}/plots/metrics"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    shown = {
        path: subprocess.run(["git", "show", f"{base_rev}:{path}"], capture_output=True, check=False) for path in listed
    }
    return {path: result.stdout for path, result in shown.items() if path.endswith(".tsv") and result.returncode == 0}


def curves_section(
    out: Path, base_rev: str | None, base_label: str, images: Callable[[dict[str, Path]], list[str]]
) -> list[str]:
    """The report's "Training curves": this branch's loss per round against the base's, as a PNG."""
    lines = ["## Training curves", ""]
    note = TRAINING_CURVES_DIR / NOTE_FILE
    current = curve_tables(this_branch_files())
    if not current:
        reason = note.read_text().strip() if note.exists() else f"no curves in {TRAINING_CURVES_DIR}"
        return [*lines, f"No training curves: {reason}."]
    base = curve_tables(base_files(base_rev))
    import matplotlib.pyplot as plt  # here, not at the top: train imports this module and draws nothing

    figure, axis = plt.subplots(figsize=(6, 4.2))
    for label, tables, style in (("This branch", current, "-"), (base_label, base, "--")):
        for name, table in sorted(tables.items()):
            axis.plot(table["step"], table["value"], style, label=f"{label}: {name}")
    axis.set_xlabel("boosting round")
    axis.set_ylabel("loss")
    axis.grid(alpha=0.3)
    axis.legend(loc="best", fontsize="small")
    figure.tight_layout()
    path = out / "training_curves.png"
    figure.savefig(path, format="png", dpi=100)
    plt.close(figure)
    lines += images({"Loss per boosting round (train and validation rows)": path})
    if not base and base_rev is not None:
        lines += ["", f"_{base_label} has no training curves yet: only this branch's are shown._"]
    return lines
