"""Training curves: the model's loss after each boosting round, on the training and validation rows.

train writes them with dvclive (dvc.org/doc/dvclive) into reports/training/ (committed), as the
files `dvc plots show`, `dvc plots diff main` and DVC Studio read; the CI report draws this
branch's curves against the base branch's copy (report/curves.py).

xgboost records each round's loss on the rows of its eval_set while it trains (core/modeling.py
passes a sample of the training rows as large as the validation slice, and the validation
slice); they are logged once the fit is done, so no callback ends up inside the pickled model.
They are written by dvclive's metric writer, in the layout that `Live.log_metric` uses
(plots/metrics/<split>/<metric>.tsv, columns step and the metric), but without `Live` itself:
train already is a DVC stage, so Live's experiment tracking (dvc exp, Studio, git) has nothing
to add, and it fails in a git repository without a commit yet.
Random forests and extra trees grow their trees independently, with no loss after each one to
plot: for them the folder holds only a note.
"""

from pathlib import Path

from ..core.files import atomic_path
from ..core.paths import TRAINING_CURVES_DIR

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
    from dvclive.plots import Metric  # heavy: only train writes curves

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
