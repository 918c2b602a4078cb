"""The train/test split that preprocess makes (both engines): which rows are held out for testing.

Stratified: each stratum (a class, or a regression target's quantile bin: core/target.py) gives the
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


def holdout_mask(rows: int, test_size: float, seed: int, strata: np.ndarray | None = None) -> np.ndarray:
    """A boolean array, True for each of the `rows` rows that goes to the test split.

    strata: one label per row (any sortable values) to split each label's rows in proportion;
    None for a plain random split.
    """
    total = math.ceil(test_size * rows)
    order = np.random.default_rng(seed).permutation(rows)
    if strata is None:
        chosen = order[:total]
    else:
        _, stratum = np.unique(np.asarray(strata), return_inverse=True)
        sizes = np.bincount(stratum)
        exact = sizes * total / rows
        take = np.floor(exact).astype(np.int64)
        take[np.argsort(take - exact, kind="stable")[: total - take.sum()]] += 1
        # The shuffled rows grouped by stratum (shuffled order kept inside each), and the first
        # `take` rows of each group chosen.
        grouped = order[np.argsort(stratum[order], kind="stable")]
        first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        rank = np.arange(rows) - np.repeat(first, sizes)
        chosen = grouped[rank < np.repeat(take, sizes)]
    mask = np.zeros(rows, dtype=bool)
    mask[chosen] = True
    return mask
