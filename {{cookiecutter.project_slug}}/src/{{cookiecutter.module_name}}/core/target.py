"""The target column: which task it asks for (classification or regression), its checks, and how
the splits store it. Decided once, in preprocess, by both engines alike.

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

from .errors import PipelineError
from .tables import class_labels

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
    # Judged on the distinct values, in the order they first appear: the first bad one is the file's.
    present = pd.Series(column.unique(), name=name).dropna()
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
            f"{column.iloc[row]!r} at data row {data_row(column, row)}; drop or fill those rows "
            "(data.missing_target: drop leaves out rows without a target)"
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


def check_target_column(table: pd.DataFrame, target: str) -> None:
    if target not in table.columns:
        source = table.attrs["source"]
        raise PipelineError(f"{source}: target column {target!r} is missing (columns: {', '.join(table.columns)})")


def check_target(table: pd.DataFrame, target: str) -> None:
    """A classification target: no missing label, at least two classes."""
    labels = check_target_rows(table, target)
    check_single_class(labels, table.attrs["source"], target)


def check_target_rows(table: pd.DataFrame, target: str) -> pd.Series:
    """A classification target's labels, normalised, once the column is there and no label is missing."""
    source = table.attrs["source"]
    check_target_column(table, target)
    labels = class_labels(table[target])
    missing = labels.isna().to_numpy()
    if missing.any():
        raise PipelineError(
            f"{source}: column {target!r} has {int(missing.sum())} missing label(s), first at data row "
            f"{data_row(labels, int(np.argmax(missing)))}; drop or fill those rows (an empty, NaN or infinite label "
            "is missing), or set data.missing_target: drop in params.yaml to leave them out"
        )
    return labels


def data_row(column: pd.Series, position: int) -> int:
    """The data row (from 1) of the value at `position`: counted by the row labels a table read from
    a file has (0, 1, ...), which rows left out (core/rows.py) keep; by position otherwise."""
    label = column.index[position]
    return int(label) + 1 if isinstance(label, int | np.integer) else position + 1


def check_single_class(labels: pd.Series, source: str, target: str) -> None:
    if labels.nunique() < 2:
        raise PipelineError(f"{source}: column {target!r} has a single class; a classifier needs at least two")


def check_rare_classes(labels: pd.Series, source: str, target: str) -> None:
    """Every class of the (categorical) labels has the two rows a stratified split needs."""
    counts = labels.value_counts()
    if (counts < 2).any():
        rare = counts[counts < 2].index[0]
        raise PipelineError(
            f"{source}: column {target!r} has only one row of class {rare!r}; a stratified train/test "
            "split needs at least two per class: add rows, merge the class into another, or drop it"
        )


def check_task(table: pd.DataFrame, data_params: dict) -> tuple[str, str]:
    """(task, why) for the table's target column (decide_task below), its values checked for that task.

    The dask engine calls it on the target column gathered from every partition, so its errors
    and row numbers are the local engine's.
    """
    target, source = data_params["target"], table.attrs["source"]
    check_target_column(table, target)
    task, task_reason = decide_task(table[target], requested_task(data_params), source)
    if task == "classification":
        check_target(table, target)
    else:
        regression_target(table[target], source)
    return task, task_reason


def encode_target(column: pd.Series, task: str, source: str, test_size: float):
    """(values as the splits store them, classes, strata for the split) of a checked target column.

    Classification: int32 class codes, the classes in code order, stratified by class.
    Regression: float64 values, no classes (None), stratified by quantile bins (regression_strata).
    """
    if task == "classification":
        labels = class_labels(column)
        check_rare_classes(labels, source, column.name)
        codes = labels.cat.codes.to_numpy().astype(np.int32)
        return codes, list(labels.cat.categories), codes
    values = regression_target(column, source)
    return values, None, regression_strata(values, test_size)


def target_profile(task: str, values: np.ndarray, classes, train_values: np.ndarray) -> dict:
    """The data profile's part about the target: class balance over all rows, or the training
    split's target summary (what the regression sanity checks measure against)."""
    if task == "classification":
        counts = np.bincount(values, minlength=len(classes))
        return {
            "class_balance": {
                str(name): round(float(count / len(values)), 4) for name, count in zip(classes, counts, strict=True)
            }
        }
    return {"target_summary": target_summary(train_values)}


def target_summary(values: np.ndarray) -> dict:
    """A regression target's range and spread in the training split, which the sanity checks measure against."""
    return {
        "min": float(values.min()),
        "max": float(values.max()),
        "mean": float(values.mean()),
        "std": float(values.std()),
    }


def task_of(profile) -> str:
    """The task preprocess recorded in the data profile (one written before regression existed: classification)."""
    return profile.get("task", "classification") if isinstance(profile, dict) else "classification"
