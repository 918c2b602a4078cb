"""The train/test split that preprocess makes (both engines): which rows are held out for testing.

`preprocess.split` in params.yaml chooses how (split_settings):
  random  rows at random, stratified (below): the default;
  group   by `preprocess.group_column` (a person, a customer, a class): every group's rows go to one
          split, so no group is in both; groups are drawn at random until the test split holds
          `test_size` of the rows (group_holdout_mask). Not stratified: a class balance per group
          is not what a group split is for;
  time    by `preprocess.time_column` (numbers, or dates): the test split is the latest rows, at
          least `test_size` of them, and every row of the latest time value taken, so each test row
          is later than every training row (time_holdout_mask).

random: each stratum (a class, or a regression target's quantile bin: core/target.py) gives the
test split its share of rows, `preprocess.test_size` of the whole rounded up as in scikit-learn's
train_test_split, the rounding spread by largest remainder. Which rows is decided by one shuffle
of all row numbers seeded by `preprocess.seed`; the same rows for the same data and params,
whichever engine runs.

It is written here rather than taken from scikit-learn because importing scikit-learn costs
preprocess, which needs nothing else from it, about 0.6 s a run (scipy), a tenth of the stage at
1 M rows. Both splits keep the raw data's row order.
"""

import math

import numpy as np
import pandas as pd

from .columns import date_kind
from .errors import PipelineError

SPLITS = ("random", "group", "time")


def not_features(split: dict, keys: set[str]) -> dict[str, str]:
    """The columns `auto` leaves out whatever they hold, with why: the join keys, and the column a
    group split (an id: a feature the test groups never share) or a time split (every test time lies
    beyond the training times) goes by."""
    excluded = {key: "a join key" for key in keys}
    if split["column"]:
        excluded[split["column"]] = f"preprocess.{split['kind']}_column"
    return excluded


def split_settings(split_params: dict) -> dict:
    """preprocess.split with its column, checked: {"kind", "column"} (column None for random)."""
    kind = split_params.get("split", "random")
    if kind not in SPLITS:
        raise PipelineError(f"params.yaml: preprocess.split is {kind!r}; choose one of {', '.join(SPLITS)}")
    if kind == "random":
        return {"kind": kind, "column": None}
    key = f"{kind}_column"
    column = split_params.get(key)
    if not isinstance(column, str) or not column:
        raise PipelineError(f"params.yaml: preprocess.split is {kind} but preprocess.{key} names no column; name one")
    return {"kind": kind, "column": column}


def holdout_mask(rows: int, test_size: float, seed: int, strata: np.ndarray | None = None) -> np.ndarray:
    """A boolean array, True for each of the `rows` rows that goes to the test split.

    strata: one label per row (any sortable values) to split each label's rows in proportion;
    None for a plain random split.
    """
    total = math.ceil(test_size * rows)
    order = shuffled_rows(rows, seed)
    mask = np.zeros(rows, dtype=bool)
    if strata is None:
        mask[order[:total]] = True
        return mask
    # each row's stratum, numbered in sorted order (np.unique's inverse, by hashing: 15x faster),
    # in the smallest integer type that holds them: sorting those is a radix sort, and at 74 M
    # rows the int64 temporaries of a general sort came to 4 GB, the peak of the Dask engine's preprocess
    stratum, names = pd.factorize(np.asarray(strata), sort=True, use_na_sentinel=False)
    stratum = stratum.astype(np.min_scalar_type(max(len(names) - 1, 0)))
    sizes = np.bincount(stratum, minlength=len(names))
    exact = sizes * total / rows
    take = np.floor(exact).astype(np.int64)
    take[np.argsort(take - exact, kind="stable")[: total - take.sum()]] += 1
    # The shuffled rows grouped by stratum (shuffled order kept inside each), and the first
    # `take` rows of each group chosen.
    grouped = order[np.argsort(stratum[order], kind="stable")]
    for first, size in zip(np.cumsum(sizes) - sizes, take, strict=True):
        mask[grouped[first : first + size]] = True
    return mask


def shuffled_rows(rows: int, seed: int) -> np.ndarray:
    """The row numbers 0 .. rows-1 in the order that `seed` shuffles them: numpy's
    default_rng(seed).permutation(rows), as int32 where the rows fit (half the memory)."""
    order = np.arange(rows, dtype=np.int32 if rows < 2**31 else np.int64)
    np.random.default_rng(seed).shuffle(order)  # the same draws, and so the same order, as permutation()
    return order


def group_holdout_mask(groups: np.ndarray, test_size: float, seed: int) -> np.ndarray:
    """True for the rows of the groups drawn for testing: groups in an order shuffled by `seed`,
    taken until the test split holds at least ceil(test_size x rows) rows. At least one group is
    left for training."""
    codes, uniques = pd.factorize(pd.Series(groups), use_na_sentinel=False)
    sizes = np.bincount(codes, minlength=len(uniques))
    order = np.random.default_rng(seed).permutation(len(uniques))
    wanted = math.ceil(test_size * len(codes))
    taken = np.searchsorted(np.cumsum(sizes[order]), wanted) + 1  # groups until `wanted` rows
    chosen = np.zeros(len(uniques), dtype=bool)
    chosen[order[: min(taken, len(uniques) - 1)]] = True
    return chosen[codes]


def time_holdout_mask(times: np.ndarray, test_size: float) -> np.ndarray:
    """True for the latest rows: every row at or after the time of the ceil(test_size x rows)-th
    latest row, so no training row is later than a test row (ties all go to the test split)."""
    wanted = max(math.ceil(test_size * len(times)), 1)
    boundary = np.sort(times)[len(times) - wanted]
    return times >= boundary


def split_values(column: pd.Series, kind: str, source: str) -> np.ndarray:
    """The values a group or time split goes by, one a row: a group's key as text (a missing value
    is a group of its own), or a time as a number (dates and date-times as nanoseconds). A time
    that is missing, or text, is refused naming the row and the text as the file has it."""
    if kind == "group":
        return column.astype("string[pyarrow]").fillna("").to_numpy(dtype=object)
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        times = column.to_numpy(dtype=np.float64, na_value=np.nan)
    elif date_kind(column) is not None:
        stamps = column.astype("datetime64[ns]").to_numpy()  # Arrow dates and times alike
        times = np.where(np.isnat(stamps), np.nan, stamps.astype(np.int64).astype(np.float64))
    else:
        text = column.astype("string[pyarrow]")
        row = int(np.argmax(text.notna().to_numpy()))
        raise PipelineError(
            f"{source}: column {column.name!r} (preprocess.time_column) holds {text.iloc[row]!r} at data row "
            f"{row + 1}: a time must be a number or a date (YYYY-MM-DD)"
        )
    missing = np.isnan(times)
    if missing.any():
        row = int(np.argmax(missing))
        raise PipelineError(
            f"{source}: column {column.name!r} (preprocess.time_column) has {int(missing.sum())} missing value(s), "
            f"first at data row {row + 1}; a time split needs every row's time"
        )
    return times


def holdout(
    settings: dict, rows: int, test_size: float, seed: int, strata: np.ndarray | None, by: np.ndarray | None
) -> np.ndarray:
    """The test rows of the split `settings` (split_settings) asks for; `by` holds split_values."""
    if settings["kind"] == "random" or by is None:
        return holdout_mask(rows, test_size, seed, strata)
    if settings["kind"] == "group":
        mask = group_holdout_mask(by, test_size, seed)
        if not mask.any():
            raise PipelineError(
                f"preprocess.group_column {settings['column']!r} has a single group: a group split needs two or more"
            )
        return mask
    mask = time_holdout_mask(by, test_size)
    if mask.all():
        raise PipelineError(
            f"preprocess.time_column {settings['column']!r} holds one time for every row: no row is later than another"
        )
    return mask
