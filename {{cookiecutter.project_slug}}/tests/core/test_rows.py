"""Which rows preprocess keeps (core/rows.py): rows without a target, and duplicate rows."""

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.core.errors import PipelineError
from {{ cookiecutter.module_name }}.core.rows import kept_rows, row_hashes, row_settings


def test_equal_rows_hash_alike_in_any_block_and_different_rows_differently():
    # given a table and the same rows cut into two blocks, read with pyarrow types as the files are
    table = pd.DataFrame({"a": ["x", "y", "x", None], "b": [1, 2, 1, 2], "c": [0.5, 0.5, 0.5, np.nan]})
    arrow = table.convert_dtypes(dtype_backend="pyarrow")
    # when the rows are hashed whole and by block
    whole, first, second = row_hashes(arrow), row_hashes(arrow.iloc[:2]), row_hashes(arrow.iloc[2:])
    # then the repeated row hashes as its first copy, everywhere, and the others all differ
    assert whole[0] == whole[2] == first[0] == second[0]
    assert len(set(whole.tolist())) == 3
    assert (row_hashes(table) == whole).all()  # NumPy-backed columns hash alike too


def test_a_number_hashes_alike_in_a_block_of_whole_numbers_and_in_one_with_fractions():
    whole_numbers = pd.DataFrame({"a": pd.array([1, 2], dtype="int64[pyarrow]")})
    fractions = pd.DataFrame({"a": pd.array([1.0, 2.5], dtype="float64[pyarrow]")})
    assert row_hashes(whole_numbers)[0] == row_hashes(fractions)[0]


def test_duplicates_are_counted_and_dropped_only_when_asked():
    table = pd.DataFrame({"a": [1, 1, 2, 1], "y": ["n", "n", "y", "n"]})
    hashes = row_hashes(table)
    warn_keep, warned = kept_rows(table["y"], hashes, {"missing_target": "error", "duplicates": "warn"})
    drop_keep, dropped = kept_rows(table["y"], hashes, {"missing_target": "error", "duplicates": "drop"})
    assert warn_keep.all() and warned == {"duplicate_rows": 2}
    assert drop_keep.tolist() == [True, False, True, False]
    assert dropped == {"duplicate_rows": 2, "duplicates_dropped": 2}


def test_rows_without_a_target_are_dropped_only_when_asked():
    target = pd.Series(["yes", "", None, "NaN", "no"])
    keep, found = kept_rows(target, None, {"missing_target": "drop", "duplicates": "keep"})
    assert keep.tolist() == [True, False, False, False, True]
    assert found == {"missing_target_dropped": 3}
    assert kept_rows(target, None, {"missing_target": "error", "duplicates": "keep"})[0].all()


@pytest.mark.parametrize(("key", "value"), [("missing_target", "skip"), ("duplicates", "remove")])
def test_an_unknown_setting_is_one_line_naming_the_key_and_the_choices(key, value):
    with pytest.raises(PipelineError, match=f"params.yaml: data.{key} is '{value}'; choose one of"):
        row_settings({key: value})
