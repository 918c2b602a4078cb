"""Which task the target column asks for, classification or regression, decided once in preprocess.

params.yaml `data.task` is auto, classification or regression. auto decides from the target:
  - text (anything that is not a number) or true/false: classification;
  - numbers that are all whole and take at most MAX_AUTO_CLASSES distinct values: classification
    (0/1, star ratings 1-5, class ids);
  - any other numbers (fractions, or more distinct whole numbers): regression.
preprocess writes the decision into data/processed/schema.json and reports/data_profile.json
("task"); every later stage and the gate read it there and never guess again.
"""

import numpy as np
import pandas as pd

from .common import PipelineError

TASKS = ("auto", "classification", "regression")
MAX_AUTO_CLASSES = 20  # more distinct whole numbers than this, and auto calls the target a quantity


def requested_task(data_params: dict) -> str:
    task = data_params.get("task", "auto")
    if task not in TASKS:
        raise PipelineError(f"params.yaml: data.task is {task!r}; choose one of {', '.join(TASKS)}")
    return task


def as_numbers(column: pd.Series) -> pd.Series:
    """The column as float64; text that is not a number becomes NaN (so does a missing value)."""
    if pd.api.types.is_bool_dtype(column):
        return pd.Series(np.nan, index=column.index)
    text = column if pd.api.types.is_numeric_dtype(column) else column.astype("string[pyarrow]").str.strip()
    values = pd.to_numeric(text, errors="coerce")
    return pd.Series(np.asarray(values, dtype=np.float64), index=column.index)


def decide_task(column: pd.Series, requested: str, source: str) -> tuple[str, str]:
    """(task, why) for the target `column` of `source`; a forced task the column cannot be is an error."""
    name = column.name
    present = column.dropna()
    if pd.api.types.is_string_dtype(present) or pd.api.types.is_object_dtype(present):
        present = present[present.astype("string[pyarrow]").str.strip() != ""]
    numbers = as_numbers(present)
    finite = numbers[np.isfinite(numbers)]
    text = present[numbers.isna() & ~present.astype("string[pyarrow]").str.strip().str.lower().isin(["nan", "-nan"])]
    distinct = finite.nunique()
    whole = bool((finite == finite.round()).all())
    if len(text) or pd.api.types.is_bool_dtype(column):
        kind, why = "classification", "it holds text or true/false"
    elif whole and distinct <= MAX_AUTO_CLASSES:
        kind, why = "classification", f"it holds {distinct} distinct whole numbers (at most {MAX_AUTO_CLASSES})"
    else:
        kind, why = "regression", f"it holds {distinct} distinct numbers" + ("" if whole else ", not all whole")
    if requested == "auto":
        return kind, f"auto: target {name!r} is {kind} because {why}"
    if requested == "regression" and len(text):
        raise PipelineError(
            f"{source}: data.task is regression but column {name!r} holds text {text.iloc[0]!r}; "
            "a regression target must be numeric (or set data.task: classification)"
        )
    if requested == "classification" and not whole and distinct > MAX_AUTO_CLASSES:
        example = finite[finite != finite.round()].iloc[0]
        raise PipelineError(
            f"{source}: data.task is classification but column {name!r} holds {distinct} distinct numbers "
            f"such as {example!r}, a continuous quantity: set data.task: regression (or auto)"
        )
    return requested, "set in params.yaml, data.task"


def regression_target(column: pd.Series, source: str) -> np.ndarray:
    """The target as float64; a missing, non-finite or constant target is an error naming the row."""
    name = column.name
    values = as_numbers(column).to_numpy()
    bad = ~np.isfinite(values)
    if bad.any():
        row = int(np.argmax(bad))
        raise PipelineError(
            f"{source}: column {name!r} has {int(bad.sum())} missing or non-numeric target value(s), first "
            f"{column.iloc[row]!r} at data row {row + 1}; drop or fill those rows"
        )
    if np.unique(values).size < 2:
        raise PipelineError(f"{source}: column {name!r} holds a single value; there is nothing to predict")
    return values


def regression_strata(target: np.ndarray, test_size: float) -> np.ndarray | None:
    """Quantile bins of a continuous target, so train and test cover the same range of values.

    Up to 10 bins (deciles), fewer on small data so that the test split gets at least two rows of
    each; None (a plain random split) below 20 rows.
    """
    test_rows = int(np.ceil(len(target) * test_size))
    bins = min(10, test_rows // 2, len(target) // 10)
    if bins < 2:
        return None
    return pd.qcut(target, q=bins, labels=False, duplicates="drop")
