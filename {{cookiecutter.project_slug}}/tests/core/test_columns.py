"""Which columns are features (core/columns.py): auto's typing rule, the lists' checks, dates as
numeric parts, and names the model refuses."""

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.core.columns import (
    check_column_lists,
    date_columns,
    infer_columns,
    model_names,
    with_date_numbers,
    with_date_parts,
)
from {{ cookiecutter.module_name }}.core.errors import PipelineError
from {{ cookiecutter.module_name }}.dataset import read_table


def test_auto_types_numbers_dates_text_and_leaves_out_ids_keys_and_empty_columns(tmp_path):
    # given a table as a user saves it: a row number, an id, numbers, text, true/false, a date, an empty column
    (tmp_path / "people.csv").write_text(
        "row,person,age,city,member,joined,notes,churned\n"
        "1,p1,31,Oslo,true,2020-01-05,,yes\n"
        "2,p2,45,Bergen,false,2021-03-09,,no\n"
        "3,p1,31,Oslo,true,2020-01-05,,no\n"
    )
    table = read_table(tmp_path / "people.csv")
    data = {"target": "churned", "drop_columns": []}
    # when auto types every column
    numeric, categorical, decisions = infer_columns([table], data, "auto", "auto", {"person": "a join key"})
    # then numbers and dates are numeric, text and true/false categorical, and the rest left out with why
    assert numeric == ["age", "joined"]
    assert categorical == ["city", "member"]
    assert decisions["left_out"] == {
        "row": "an id: every row holds its own value",
        "person": "a join key",
        "notes": "no values",
        "churned": "the target",
    }


def test_a_list_keeps_its_columns_and_auto_types_the_rest():
    table = pd.DataFrame({"zip": [1010, 2020, 1010], "income": [1.5, 2.5, 3.5], "y": [0, 1, 0]})
    numeric, categorical, decisions = infer_columns([table], {"target": "y"}, "auto", ["zip"], {})
    assert (numeric, categorical) == (["income"], ["zip"])
    assert "categorical" not in decisions  # only what auto chose is recorded as its decision


@pytest.mark.parametrize(
    ("numeric", "categorical", "counted", "message"),
    [
        (["a", "b"], ["b"], [], "column 'b' is in both data.numeric_columns and data.categorical_columns"),
        (["a", "y"], [], [], "the target 'y' is also listed in data.numeric_columns"),
        ("auto", ["y"], [], "the target 'y' is also listed in data.categorical_columns"),
        (["a"], [], ["y"], "the target 'y' is listed in data.count_columns"),
    ],
    ids=["both-lists", "target-numeric", "target-categorical", "target-counted"],
)
def test_contradicting_lists_are_refused_in_one_line_naming_the_column(numeric, categorical, counted, message):
    with pytest.raises(PipelineError, match=message):
        check_column_lists({"target": "y", "count_columns": counted}, numeric, categorical)


def test_dates_and_date_times_become_numeric_parts(tmp_path):
    # given dates and date-times as a CSV file holds them, one missing
    (tmp_path / "visits.csv").write_text("day,at,y\n2024-02-29,2024-02-29 13:45:00,1\n,2023-12-31 23:00:00,0\n")
    table = read_table(tmp_path / "visits.csv")
    dates = date_columns([table], ["day", "at"])
    # when they are turned into numbers
    parts = with_date_parts(table, dates)
    # then each is its year, month, day and weekday (and hour), missing where the date is
    assert dates == {"day": "date", "at": "datetime"}
    assert with_date_numbers(["day", "at"], dates) == [
        "day_year", "day_month", "day_day", "day_weekday", "at_year", "at_month", "at_day", "at_weekday", "at_hour",
    ]  # fmt: skip
    assert parts.loc[0, ["day_year", "day_month", "day_day", "day_weekday"]].tolist() == [2024, 2, 29, 3]
    assert parts.loc[1, "at_hour"] == 23 and np.isnan(parts.loc[1, "day_year"])
    assert parts["day_year"].dtype == np.float32


def test_text_in_a_date_column_is_refused_with_the_files_own_text():
    # given a block of rows whose date column holds a date written otherwise (read as text)
    block = pd.DataFrame({"day": ["2024-01-02", "02/01/2024"]}, dtype="string[pyarrow]")
    block.attrs["source"] = "data/raw/visits.csv"
    # when it is turned into date parts, then the error names the file, the column, the row and the text
    with pytest.raises(PipelineError, match=r"visits.csv: column 'day' holds dates elsewhere but has '02/01/2024' at "):
        with_date_parts(block, {"day": "date"})


def test_names_xgboost_refuses_are_renamed_unless_the_new_name_is_taken():
    assert model_names(["school[yrs]", "age<30", "plain"]) == {"school[yrs]": "school(yrs)", "age<30": "agelt30"}
    with pytest.raises(PipelineError, match=r"column 'a\[1\]'.*'a\(1\)' is another column's"):
        model_names(["a[1]", "a(1)"])
