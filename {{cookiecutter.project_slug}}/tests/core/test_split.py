"""The train/test split (split.py): sizes, strata, the seed."""

import math

import numpy as np
import pytest

from {{ cookiecutter.module_name }}.core.split import holdout_mask


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
