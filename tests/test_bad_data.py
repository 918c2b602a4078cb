"""Bad data fails the real preprocess stage with the file and column named, leaving no output.

Each case edits one sample CSV of a set-up project and runs `dvc repro preprocess` for real: what
that adds to the generated project's own unit tests (tests/test_dataset.py, engine/test_local_engine.py
and stages/test_stages.py, which refuse every kind of bad data in CASES with the same message,
in-process) is the whole path a user sees: the
message as DVC's stage prints it, with the path under data/raw, no traceback, and nothing left
half-written. REAL_CASES runs that path for three failures from three places: a column missing
from the main table (the join), text in a lookup's numeric column (the conversion), a byte that is
not UTF-8 (the reading). test_dask runs two of CASES on a Dask cluster.
"""

import csv
from pathlib import Path

import pytest
from conftest import run


def edit_csv(path: Path, change) -> None:
    with open(path, newline="") as file:
        rows = list(csv.DictReader(file))
    header, rows = change(list(rows[0]), rows)
    with open(path, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def drop_target(header, rows):
    return [name for name in header if name != "target"], rows


def blank_label(header, rows):
    rows[9]["target"] = ""
    return header, rows


def text_in_song_length(header, rows):
    rows[4]["song_length"] = "four minutes"
    return header, rows


def unknown_members(header, rows):
    for row in rows:
        row["msno"] = "unknown-" + row["msno"]
    return header, rows


def infinite_song_length(header, rows):
    rows[6]["song_length"] = "inf"
    return header, rows


def latin1_byte(path: Path) -> None:
    lines = path.read_bytes().splitlines(keepends=True)
    lines[3] = lines[3].replace(b",", b",\xe9", 1)  # a byte that is not UTF-8, in the city column
    path.write_bytes(b"".join(lines))


def duplicated_header(path: Path) -> None:
    lines = path.read_text().splitlines(keepends=True)
    names = lines[0].rstrip("\n").split(",")
    lines[0] = ",".join([*names[:-1], names[0]]) + "\n"
    path.write_text("".join(lines))


def empty(path: Path) -> None:
    path.write_text("")


def header_only(path: Path) -> None:
    path.write_text(path.read_text().splitlines()[0] + "\n")


CASES = {  # id: (file in data/raw, how to break it, what the error must say)
    "missing-target-column": ("interactions.csv", drop_target, "interactions.csv: target column 'target' is missing"),
    "missing-label": ("interactions.csv", blank_label, "interactions.csv: column 'target' has 1 missing label(s), "
                      "first at data row 10"),
    "text-in-numeric-column": ("songs.csv", text_in_song_length, "songs.csv: column 'song_length' should be numeric "
                               "but has text 'four minutes' at data row 5"),
    "lookup-key-matches-nothing": ("members.csv", unknown_members, "members.csv: no value of key column 'msno' "
                                   "matches the main table"),
    "infinite-number": ("songs.csv", infinite_song_length, "songs.csv: column 'song_length' has a non-finite or "
                        "too large number inf at data row 7"),
    "not-utf8": ("members.csv", latin1_byte, "members.csv: column 'city' holds text that is not valid utf-8 at "
                 "data row 3"),
    "duplicated-header": ("songs.csv", duplicated_header, "songs.csv: the header names column 'song_id' twice"),
    "empty-file": ("members.csv", empty, "members.csv: file is empty"),
    "header-only": ("songs.csv", header_only, "songs.csv: has a header but no rows"),
}


REAL_CASES = ["missing-target-column", "text-in-numeric-column", "not-utf8"]


@pytest.mark.parametrize(("table", "breakage", "message"), [CASES[case] for case in REAL_CASES], ids=REAL_CASES)
def test_bad_data_fails_preprocess_naming_file_and_column(project_copy, table, breakage, message):
    # given a set-up project whose sample data has one defect
    path = project_copy / "data/raw" / table
    path.chmod(0o644)
    if breakage in (empty, header_only, latin1_byte, duplicated_header):
        breakage(path)
    else:
        edit_csv(path, breakage)
    # when the preprocess stage runs for real
    result = run([".venv/bin/dvc", "repro", "preprocess"], cwd=project_copy, check=False,
                 env={"PATH": f"{project_copy}/.venv/bin:/usr/bin:/bin"})
    # then it fails with one line naming the file and the column, and leaves nothing behind
    assert result.returncode != 0
    assert f"error: data/raw/{message}" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (project_copy / "data/processed").exists()
    assert not (project_copy / "reports/data_profile.json").exists()
    assert [path.name for path in (project_copy / "data").iterdir() if path.name.startswith(".processed")] == []
