"""The train/test split (split.py): sizes, strata, the seed; group and time splits."""

import math

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.core.errors import PipelineError
from {{ cookiecutter.module_name }}.core.split import (
    group_holdout_mask,
    holdout_mask,
    shuffled_rows,
    split_settings,
    split_values,
    time_holdout_mask,
)


@pytest.mark.parametrize("rows, test_size", [(400, 0.25), (1001, 0.2), (7, 0.5), (20_000, 0.13)])
def test_the_test_split_holds_test_size_of_the_rows_rounded_up(rows, test_size):
    strata = np.arange(rows) % 3
    assert holdout_mask(rows, test_size, 0, strata).sum() == math.ceil(rows * test_size)
    assert holdout_mask(rows, test_size, 0).sum() == math.ceil(rows * test_size)


def test_each_stratum_gives_its_share_within_one_row():
    strata = np.repeat(["a", "b", "c"], [700, 250, 53])
    is_test = holdout_mask(len(strata), 0.2, 42, strata)
    for label, rows in (("a", 700), ("b", 250), ("c", 53)):
        assert abs(is_test[strata == label].sum() - rows * is_test.sum() / len(strata)) < 1


def test_a_rare_stratum_keeps_rows_on_both_sides():
    strata = np.array([0] * 98 + [1] * 2)
    is_test = holdout_mask(100, 0.5, 7, strata)
    assert is_test[strata == 1].sum() == 1


def test_the_seed_decides_the_rows_and_the_same_seed_repeats_them():
    strata = np.arange(1000) % 2
    first, again, other = (holdout_mask(1000, 0.2, seed, strata) for seed in (1, 1, 2))
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_the_rows_chosen_are_spread_over_the_data_not_a_block():
    is_test = holdout_mask(10_000, 0.2, 0, np.zeros(10_000, dtype=int))
    rows = np.flatnonzero(is_test)
    assert rows.min() < 500 and rows.max() > 9_500  # shuffled: from the first rows to the last
    assert 0.15 < is_test[:5000].mean() < 0.25 and 0.15 < is_test[5000:].mean() < 0.25


@pytest.mark.parametrize(
    "strata", [None, np.arange(5003) % 2, (np.arange(5003) * 7919) % 300, np.arange(5003) % 7 * 0.5]
)
def test_the_test_rows_are_each_strata_first_rows_in_the_seeds_shuffle(strata):
    # The rule as the module docstring says it, written plainly: shuffle the row numbers by the
    # seed; each stratum's test rows are its first rows in that order, as many as its share.
    rows, test_size, seed = 5003, 0.2, 11
    order = np.random.default_rng(seed).permutation(rows)
    expected = np.zeros(rows, dtype=bool)
    if strata is None:
        expected[order[: math.ceil(test_size * rows)]] = True
    else:
        is_test = holdout_mask(rows, test_size, seed, strata)
        for stratum in np.unique(strata):
            in_order = order[strata[order] == stratum]  # how many: the share test above
            expected[in_order[: is_test[strata == stratum].sum()]] = True
    assert np.array_equal(holdout_mask(rows, test_size, seed, strata), expected)
    assert np.array_equal(shuffled_rows(rows, seed), order)  # int32 rows, numpy's permutation all the same


# --- Group and time splits ----------------------------------------------------------------
def test_a_group_split_puts_every_group_in_one_split_and_about_test_size_of_the_rows():
    # given 60 people with 1 to 9 rows each
    rng = np.random.default_rng(3)
    groups = np.repeat([f"p{number}" for number in range(60)], rng.integers(1, 10, 60))
    # when the rows are split by person
    is_test = group_holdout_mask(groups, 0.2, seed=42)
    # then nobody is in both splits, and the test split holds at least a fifth, at most one group more
    assert not set(groups[is_test]) & set(groups[~is_test])
    assert math.ceil(0.2 * len(groups)) <= is_test.sum() < math.ceil(0.2 * len(groups)) + 9
    assert (group_holdout_mask(groups, 0.2, seed=42) == is_test).all()  # the seed decides


def test_a_time_split_tests_on_the_latest_rows_ties_included():
    times = np.array([1987, 1980, 1986, 1987, 1981, 1982, 1983, 1984, 1985, 1986], dtype=float)
    is_test = time_holdout_mask(times, 0.2)
    assert times[is_test].min() > times[~is_test].max()
    assert is_test.sum() == 2  # the two 1987 rows


def test_a_time_split_with_ties_at_the_boundary_takes_them_all():
    times = np.array([1, 2, 2, 2, 3], dtype=float)
    is_test = time_holdout_mask(times, 0.3)  # 2 rows asked for: 3 and a tied 2 -> every 2 goes
    assert is_test.tolist() == [False, True, True, True, True]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"split": "person"}, "preprocess.split is 'person'; choose one of random, group, time"),
        ({"split": "group"}, "preprocess.split is group but preprocess.group_column names no column"),
        ({"split": "time", "time_column": ""}, "preprocess.split is time but preprocess.time_column names no column"),
    ],
)
def test_split_settings_are_checked_in_one_line(params, message):
    with pytest.raises(PipelineError, match=message):
        split_settings(params)


def test_a_time_column_of_text_or_with_gaps_is_refused_naming_the_row():
    with pytest.raises(PipelineError, match=r"column 'when' \(preprocess.time_column\) holds 'soon' at data row 1"):
        split_values(pd.Series(["soon", "later"], name="when"), "time", "t.csv")
    with pytest.raises(PipelineError, match="has 1 missing value.*first at data row 2"):
        split_values(pd.Series([1.0, None], name="when"), "time", "t.csv")
