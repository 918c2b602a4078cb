"""The report's "Training curves" section: this branch's loss per boosting round against the base
branch's, read from the dvclive files train writes (evaluation/training_curves.py) and the base's
committed copies (git ls-tree, git show)."""

import io
import subprocess
from collections.abc import Callable
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from ..core.paths import TRAINING_CURVES_DIR
from ..evaluation.training_curves import NOTE_FILE


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
