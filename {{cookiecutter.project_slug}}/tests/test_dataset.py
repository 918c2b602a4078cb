"""Reading the raw tables (dataset.py) as users save them: shards, encodings, headers, numbers
written out, label spellings; every problem named with its file, column and row."""

import gzip

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.core.errors import PipelineError
from {{ cookiecutter.module_name }}.core.tables import to_category, to_numeric
from {{ cookiecutter.module_name }}.dataset import read_table, reading_params
from {{ cookiecutter.module_name }}.engine.local import build_dataset

from conftest import DATA_PARAMS, SPLIT_PARAMS


def test_read_table_concatenates_shards_in_name_order(tmp_path):
    shards = tmp_path / "interactions"
    shards.mkdir()
    (shards / "part-2.csv").write_text("a,target\n3,1\n")
    (shards / "part-1.csv").write_text("a,target\n1,0\n2,1\n")
    table = read_table(shards)
    assert table["a"].tolist() == [1, 2, 3]
    assert table.attrs["source"] == str(shards)


@pytest.mark.parametrize(
    ("content", "message"),
    [("", "file is empty"), ("a,target\n", "has a header but no rows")],
    ids=["empty", "header-only"],
)
def test_read_table_refuses_empty_files(tmp_path, content, message):
    path = tmp_path / "interactions.csv"
    path.write_text(content)
    with pytest.raises(PipelineError, match=f"{path}: {message}"):
        read_table(path)


def test_read_table_refuses_shards_with_different_columns(tmp_path):
    (tmp_path / "1.csv").write_text("a,target\n1,0\n")
    (tmp_path / "2.csv").write_text("b,target\n1,0\n")
    with pytest.raises(PipelineError, match="2.csv: columns"):
        read_table(tmp_path)


def test_text_in_a_numeric_column_of_a_csv_file_is_refused(tables, tmp_path):
    # read from a real file: pyarrow-backed columns treat failed conversions differently from NumPy
    main, [(members, key), songs] = tables
    members.assign(age=members["age"].astype(object).where(members.index != 2, "old")).to_csv(
        tmp_path / "members.csv", index=False
    )
    from_file = read_table(tmp_path / "members.csv")
    with pytest.raises(PipelineError, match="members.csv: column 'age' should be numeric but has text 'old'"):
        build_dataset(main, [(from_file, key), songs], DATA_PARAMS, SPLIT_PARAMS)


# --- Files as users save them: encodings, headers, numbers written out, label spellings ---
def from_files(tables, tmp_path, members_csv: bytes | None = None, main_csv: bytes | None = None, **reading):
    """Write the tiny tables as CSV files (optionally replacing one's bytes), read them as preprocess does."""
    main, [(members, member_key), (songs, song_key)] = tables
    files = {"interactions.csv": main, "members.csv": members, "songs.csv": songs}
    for name, frame in files.items():
        frame.to_csv(tmp_path / name, index=False)
    if members_csv is not None:
        (tmp_path / "members.csv").write_bytes(members_csv)
    if main_csv is not None:
        (tmp_path / "interactions.csv").write_bytes(main_csv)
    settings = reading_params(reading)
    read = {name: read_table(tmp_path / name, settings) for name in files}
    lookups = [(read["members.csv"], member_key), (read["songs.csv"], song_key)]
    return build_dataset(read["interactions.csv"], lookups, DATA_PARAMS, SPLIT_PARAMS)[:4]


def members_with_age(tables, row: int, age: str) -> bytes:
    members = tables[1][0][0].astype({"age": object})
    members.loc[row, "age"] = age
    return members.to_csv(index=False).encode()


@pytest.mark.parametrize("age", ["1e300", "inf", "-inf", "NaN"])
def test_a_non_finite_or_overflowing_number_is_refused_naming_file_column_and_row(tables, tmp_path, age):
    with pytest.raises(
        PipelineError,
        match=r"members.csv: column 'age' has a non-finite or too large number .* at "
        r"data row 6; .*data.non_finite: missing",
    ):
        from_files(tables, tmp_path, members_with_age(tables, 5, age))


def test_non_finite_numbers_can_be_read_as_missing_on_purpose(tables, tmp_path):
    train, test, _, _ = from_files(tables, tmp_path, members_with_age(tables, 5, "inf"), non_finite="missing")
    ages = pd.concat([train["age"], test["age"]])
    assert np.isfinite(ages.dropna()).all() and ages.isna().any()


def test_a_byte_invalid_in_the_encoding_is_refused_and_the_encoding_setting_reads_it(tables, tmp_path):
    members = tables[1][0][0].assign(city=lambda frame: frame["city"].astype(str).replace("2", "Zürich"))
    latin1 = members.to_csv(index=False).encode("latin-1")
    with pytest.raises(
        PipelineError,
        match=r"members.csv: column 'city' holds text that is not valid utf-8 at data "
        r"row \d+ .*set data.encoding",
    ):
        from_files(tables, tmp_path, latin1)
    _, _, schema, _ = from_files(tables, tmp_path, latin1, encoding="latin-1")
    assert "Zürich" in schema["categories"]["city"]


def test_a_duplicated_header_is_named_as_such(tables, tmp_path):
    duplicated = b"user,age,age\nu1,30,31\n"
    with pytest.raises(PipelineError, match="members.csv: the header names column 'age' twice"):
        from_files(tables, tmp_path, duplicated)


def test_an_all_empty_numeric_column_is_refused(tables, tmp_path):
    members = tables[1][0][0].assign(age=None)
    with pytest.raises(PipelineError, match="members.csv: column 'age' has no values at all"):
        from_files(tables, tmp_path, members.to_csv(index=False).encode())


def test_labels_are_one_class_however_spelled(tables, tmp_path):
    # given a target written "1", "1.0" and " 1 " in turn for the positive rows, "0" for the others
    main = tables[0]
    spellings = ["1", "1.0", " 1 "]
    main = main.assign(target=[spellings[row % 3] if label == 1 else "0" for row, label in enumerate(main["target"])])
    _, _, schema, profile = from_files(tables, tmp_path, main_csv=main.to_csv(index=False).encode())
    assert schema["classes"] == ["0", "1"]
    assert set(profile["class_balance"]) == {"0", "1"}


@pytest.mark.parametrize("label", ["NaN", "inf", "   "])
def test_a_nan_infinite_or_blank_label_is_a_missing_label_not_a_class(tables, tmp_path, label):
    main = tables[0].astype({"target": object})
    main.loc[7, "target"] = label
    with pytest.raises(PipelineError, match="interactions.csv: column 'target' has 1 missing label"):
        from_files(tables, tmp_path, main_csv=main.to_csv(index=False).encode())


def test_non_finite_numbers_read_as_missing_in_a_column_without_gaps(tables, tmp_path):
    # a column with no empty cell comes from pyarrow as a read-only array: replacing inf must still work
    main, [members, (songs, key)] = tables
    songs = songs.astype({"song_length": object})
    songs.loc[4, "song_length"] = "inf"
    songs.to_csv(tmp_path / "songs-with-inf.csv", index=False)
    read = read_table(tmp_path / "songs-with-inf.csv", reading_params({"non_finite": "missing"}))
    train, test, *_ = build_dataset(main, [members, (read, key)], DATA_PARAMS, SPLIT_PARAMS)
    assert pd.concat([train["song_length"], test["song_length"]]).isna().any()


def test_true_false_in_a_numeric_column_is_refused(tables, tmp_path):
    members = tables[1][0][0].assign(age=lambda frame: np.where(frame.index % 2 == 0, "true", "false"))
    with pytest.raises(PipelineError, match="members.csv: column 'age' should be numeric but has true/false"):
        from_files(tables, tmp_path, members.to_csv(index=False).encode())


def test_a_utf16_file_reads_with_its_encoding_setting(tables, tmp_path):
    members = tables[1][0][0]
    (tmp_path / "members.csv").write_bytes(members.to_csv(index=False).encode("utf-16"))
    read = read_table(tmp_path / "members.csv", reading_params({"encoding": "utf-16"}))
    assert list(read.columns) == list(members.columns)
    assert read["user"].tolist() == members["user"].tolist()


def test_a_ragged_row_is_named(tables, tmp_path):
    ragged = tables[1][0][0].to_csv(index=False).replace("\nu3,", "\nu3,extra,", 1).encode()
    with pytest.raises(PipelineError, match=r"members.csv: cannot be read as CSV \(data row \d+ has 4 fields"):
        from_files(tables, tmp_path, ragged)


def test_a_category_column_is_cleaned_per_value_as_its_text_would_be():
    text = pd.Series([" rock", "rock", "", None, "pop ", 7, "pop"], dtype=object)
    as_category = text.astype("category").cat.add_categories(["never used"])
    expected = to_category(text)
    cleaned = to_category(as_category)
    assert list(cleaned.cat.categories) == list(expected.cat.categories) == ["7", "pop", "rock"]
    assert cleaned.cat.codes.tolist() == expected.cat.codes.tolist() == [2, 2, -1, -1, 1, 0, 1]


# --- Formats by file name: Parquet, compressed CSV ------------------------------------------
def written(frame: pd.DataFrame, path, compression: str | None = None):
    """`frame` saved as `path` says: Parquet, or CSV compressed by pyarrow (as a user's tool would)."""
    import pyarrow as pa  # only these tests write compressed files

    if str(path).endswith(".parquet"):
        frame.to_parquet(path, index=False)
    else:
        with pa.output_stream(str(path), compression=compression) as stream:
            stream.write(frame.to_csv(index=False).encode())
    return path


@pytest.mark.parametrize(
    ("name", "compression"),
    [("t.parquet", None), ("t.csv.gz", "gzip"), ("t.csv.bz2", "bz2"), ("t.csv.zst", "zstd")],
    ids=["parquet", "gzip", "bzip2", "zstd"],
)
def test_parquet_and_compressed_csv_read_as_the_csv_does(tmp_path, name, compression):
    # given a table as plain CSV and in another format
    frame = pd.DataFrame({"city": ["Oslo", None, "Bergen"], "age": [31.0, None, 45.0], "target": [1, 0, 1]})
    plain = read_table(written(frame, tmp_path / "t.csv"))
    # when the other file is read, then it holds the same values as the CSV file
    other = read_table(written(frame, tmp_path / name, compression))
    pd.testing.assert_frame_equal(other.astype(str), plain.astype(str))
    assert other.attrs["source"] == str(tmp_path / name)


def test_a_folder_may_mix_formats_and_ignores_other_files(tmp_path):
    written(pd.DataFrame({"a": [1], "target": [0]}), tmp_path / "1.parquet")
    written(pd.DataFrame({"a": [2], "target": [1]}), tmp_path / "2.csv.gz", "gzip")
    (tmp_path / "README.txt").write_text("notes")
    assert read_table(tmp_path)["a"].tolist() == [1, 2]


def test_an_empty_compressed_file_and_a_damaged_parquet_file_are_named(tmp_path):
    (tmp_path / "t.csv.gz").write_bytes(gzip.compress(b""))
    with pytest.raises(PipelineError, match=r"t.csv.gz: file is empty"):
        read_table(tmp_path / "t.csv.gz")
    (tmp_path / "t.parquet").write_bytes(b"not parquet")
    with pytest.raises(PipelineError, match=r"t.parquet: cannot be read as Parquet"):
        read_table(tmp_path / "t.parquet")


def test_a_date_where_a_number_is_checked_is_named_as_the_file_writes_it(tmp_path):
    # given a column the reader made dates of (a Dask block can lack the dates the first block had)
    (tmp_path / "t.csv").write_text("day,target\n2017-01-02,1\n")
    table = read_table(tmp_path / "t.csv")
    # when it is checked as numbers, then the error quotes the file's text, not a Python object
    with pytest.raises(PipelineError, match=r"column 'day' should be numeric but has text '2017-01-02' at data row 1"):
        to_numeric(table, ["day"])
