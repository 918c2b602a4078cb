"""Tiny in-memory tables shaped like the real ones, for testing each part's logic in seconds."""

import numpy as np
import pandas as pd
import pytest

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


@pytest.fixture
def tables():
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
