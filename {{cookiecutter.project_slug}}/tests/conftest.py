"""Tiny in-memory tables shaped like the real ones, for testing each part's logic in seconds, and a
tiny project laid out as this one for running the stages in-process."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from {{ cookiecutter.module_name }}.engine.local import build_dataset

DATA_PARAMS = {
    "target": "target",
    "numeric_columns": ["age", "song_length"],
    "categorical_columns": ["source_type", "city", "genre"],
    "drop_columns": [],
}
SPLIT_PARAMS = {"test_size": 0.25, "seed": 0, "raw_test_rows": 20}


def with_source(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    frame.attrs["source"] = name
    return frame


PROJECT = Path(__file__).resolve().parents[1]  # this project: its params.yaml is the starting point


@pytest.fixture
def tables():
    return make_tables()


def make_tables():
    """(main, [(members, key), (songs, key)]) with a learnable target: source_type 'library' replays."""
    rng = np.random.default_rng(0)
    rows = 400
    source_type = rng.choice(["library", "radio", "search"], rows)
    main = pd.DataFrame(
        {
            "user": rng.choice([f"u{i}" for i in range(20)], rows),
            "song": rng.choice([f"s{i}" for i in range(30)], rows),
            "source_type": source_type,
            "target": np.where(source_type == "library", 1, 0) ^ (rng.random(rows) < 0.1),
        }
    )
    members = pd.DataFrame(
        {
            "user": [f"u{i}" for i in range(20)],
            "city": rng.integers(1, 5, 20),
            "age": rng.integers(15, 60, 20).astype(float),
        }
    )
    members.loc[3, "age"] = np.nan  # missing values must be carried, not fail
    songs = pd.DataFrame(
        {
            "song": [f"s{i}" for i in range(30)],
            "genre": rng.choice(np.array(["pop", "rock", None], dtype=object), 30),
            "song_length": rng.integers(100_000, 300_000, 30),
        }
    )
    return (
        with_source(main, "interactions.csv"),
        [(with_source(members, "members.csv"), "user"), (with_source(songs, "songs.csv"), "song")],
    )


@pytest.fixture
def dataset(tables):
    """The tiny tables after preprocessing: (train, test, schema, profile)."""
    main, lookups = tables
    return build_dataset(main, lookups, DATA_PARAMS, SPLIT_PARAMS)[:4]


def split_xy(split: pd.DataFrame, schema: dict) -> tuple[pd.DataFrame, np.ndarray]:
    return split[schema["features"]], split[schema["target"]].to_numpy()


def write_tiny_project(folder: Path, tables, **params: dict) -> Path:
    """`folder` laid out as this project, the tiny tables as its raw data and this project's params.yaml
    pointed at them; `params` updates whole sections (e.g. gate={"metric": "r2"})."""
    main, [(members, member_key), (songs, song_key)] = tables
    raw = folder / "data/raw"
    raw.mkdir(parents=True)
    for name, frame in (("interactions.csv", main), ("members.csv", members), ("songs.csv", songs)):
        frame.to_csv(raw / name, index=False)
    settings = yaml.safe_load((PROJECT / "params.yaml").read_text())
    settings["data"] |= DATA_PARAMS | {
        "raw_dir": "data/raw",
        "main_table": "interactions.csv",
        "lookups": [{"table": "members.csv", "key": member_key}, {"table": "songs.csv", "key": song_key}],
        "count_columns": ["user"],
    }
    settings["train"] |= {"model": "xgboost", "xgboost": settings["train"]["xgboost"] | {"device": "cpu"}}
    settings["compute"]["engine"] = "local"
    for section, values in params.items():
        settings[section] |= values
    (folder / "params.yaml").write_text(yaml.safe_dump(settings))
    return folder


@contextmanager
def working_directory(folder: Path) -> Iterator[Path]:
    """Run the block in `folder`, as DVC runs a stage in the project's folder."""
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield folder
    finally:
        os.chdir(before)
