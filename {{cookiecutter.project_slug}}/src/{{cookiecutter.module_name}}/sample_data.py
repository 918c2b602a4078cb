"""Deterministic sample data shaped like KKBox's music-recommendation challenge.

# --- Replace with your own data -----------------------------------------------------------
# This generator only exists so that a fresh project trains something real. Put your own CSVs
# in data/raw, name them in params.yaml (data:), then `dvc add data/raw`.

Three tables, as in the competition: interactions.csv (who played which song from where, and
`target` = replayed within a month), members.csv and songs.csv. The target is drawn from a
logistic model of the source of the play, the song's language and genre, the member's age and
the song's popularity, so a good model clearly beats chance. Same seed, same rows.

    python -m {{ cookiecutter.module_name }}.sample_data --rows 7400000 --out /tmp/kkbox-size
"""

import argparse
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from .core.files import atomic_path
from .core.params import load_params

SOURCES = {  # source_type -> (source_system_tab, source_screen_name, effect on the replay odds)
    "local-library": ("my library", "Local playlist more", 1.2),
    "local-playlist": ("my library", "My library", 1.0),
    "online-playlist": ("discover", "Online playlist more", -0.1),
    "song-based-playlist": ("discover", "Discover Genre", -0.3),
    "radio": ("radio", "Radio", -1.0),
    "album": ("explore", "Album more", 0.2),
    "top-hits-for-artist": ("search", "Artist more", 0.1),
    "listen-with": ("listen with", "Others profile more", -0.8),
}
LANGUAGES = {3.0: 0.3, 10.0: 0.0, 17.0: -0.2, 24.0: -0.4, 31.0: 0.1, 52.0: -0.6, -1.0: -0.3}
GENRES = ["465", "958", "1609", "2022", "2122", "1259", "921", "359", "465|958", "1609|2022"]


def make_members(count: int, rng: np.random.Generator) -> pd.DataFrame:
    age = rng.normal(28, 8, count).clip(14, 70).round()
    age[rng.random(count) < 0.3] = 0  # like KKBox: many members leave their age at 0
    gender = rng.choice(np.array(["female", "male", None], dtype=object), count, p=[0.4, 0.4, 0.2])
    registration = pd.Timestamp("2004-01-01") + pd.to_timedelta(rng.integers(0, 13 * 365, count), unit="D")
    return pd.DataFrame(
        {
            "msno": [f"m{index:07d}" for index in range(count)],
            "city": rng.choice(np.arange(1, 23), count),
            "bd": age.astype(int),
            "gender": gender,
            "registered_via": rng.choice([3, 4, 7, 9, 13], count, p=[0.2, 0.25, 0.3, 0.2, 0.05]),
            "registration_init_time": registration.strftime("%Y%m%d").astype(int),
        }
    )


def make_songs(count: int, rng: np.random.Generator) -> pd.DataFrame:
    genre = rng.choice(np.array(GENRES + [None], dtype=object), count)
    return pd.DataFrame(
        {
            "song_id": [f"s{index:08d}" for index in range(count)],
            "song_length": rng.normal(240_000, 60_000, count).clip(30_000, 900_000).astype(int),
            "genre_ids": genre,
            "artist_name": [f"artist {index}" for index in rng.integers(0, max(count // 8, 1), count)],
            "language": rng.choice(list(LANGUAGES), count, p=[0.45, 0.05, 0.1, 0.05, 0.05, 0.2, 0.1]),
        }
    )


def make_interactions(rows: int, members: pd.DataFrame, songs: pd.DataFrame, rng: np.random.Generator):
    member = rng.integers(0, len(members), rows)
    # Song popularity is heavy-tailed: a few songs get most plays, and popular songs are replayed more.
    popularity = rng.zipf(1.6, rows) - 1
    song = popularity % len(songs)
    kinds = rng.choice(len(SOURCES), rows, p=[0.3, 0.1, 0.2, 0.1, 0.1, 0.08, 0.07, 0.05])
    source_type = np.array(list(SOURCES), dtype=object)[kinds]
    tab, screen, effect = (np.array([value[part] for value in SOURCES.values()])[kinds] for part in range(3))

    age = members["bd"].to_numpy()[member]
    young = (age > 0) & (age < 25)
    genre = songs["genre_ids"].to_numpy()[song]
    language = songs["language"].to_numpy()[song]
    logit = (
        1.6
        * (
            effect.astype(float)
            + pd.Series(language).map(LANGUAGES).to_numpy()
            + np.where(young & np.isin(genre, ["465", "465|958"]), 0.8, 0.0)
            + np.where(members["registered_via"].to_numpy()[member] == 7, 0.5, -0.1)
            - 0.4 * np.log1p(popularity)
            + rng.normal(0, 0.3, rows)
        )
        + 0.3
    )
    target = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame(
        {
            "msno": members["msno"].to_numpy()[member],
            "song_id": songs["song_id"].to_numpy()[song],
            "source_system_tab": tab,
            "source_screen_name": screen,
            "source_type": source_type,
            "target": target,
        }
    )


# Interactions are made and written this many rows at a time, so that any size fits in memory
# (74 M rows: ten times KKBox). Up to this size the rows are those of one piece, as before.
CHUNK_ROWS = 8_000_000


def generate(rows: int, seed: int) -> Iterator[tuple[str, pd.DataFrame]]:
    """The three tables for `rows` interactions, as (file name, rows) pieces in writing order;
    the interactions in pieces of at most CHUNK_ROWS rows. Sizes keep KKBox's proportions."""
    rng = np.random.default_rng(seed)
    members = make_members(max(rows // 250, 50), rng)
    songs = make_songs(max(rows // 20, 200), rng)
    yield "members.csv", members
    yield "songs.csv", songs
    for start in range(0, rows, CHUNK_ROWS):
        yield "interactions.csv", make_interactions(min(CHUNK_ROWS, rows - start), members, songs, rng)


def write(pieces: Iterable[tuple[str, pd.DataFrame]], out: Path) -> None:
    """Write the pieces into `out`, those of one file name one after another into that file, all
    at once: an interrupted run leaves the old folder intact."""
    writers: dict[str, pacsv.CSVWriter] = {}
    with atomic_path(out, directory=True) as folder:
        try:
            for name, rows in pieces:
                table = pa.Table.from_pandas(rows, preserve_index=False)
                if name not in writers:
                    writers[name] = pacsv.CSVWriter(folder / name, table.schema)
                writers[name].write_table(table)
        finally:
            for writer in writers.values():
                writer.close()


def positive_int(text: str) -> int:
    """argparse type for --rows: a whole number of at least 1 (make sample-data ROWS=...)."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"ROWS must be a whole number of at least 1, not {text!r}")
    return int(text)


def main() -> None:
    # data.sample is gone once make own-data switched to your data: the defaults, should you want the sample back
    sample = {"rows": 20000, "seed": 2017} | (load_params(required=("data",))["data"].get("sample") or {})
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=positive_int, default=sample["rows"], help="interactions to generate")
    parser.add_argument("--seed", type=int, default=sample["seed"])
    parser.add_argument("--out", type=Path, default=Path(load_params()["data"]["raw_dir"]))
    arguments = parser.parse_args()
    write(generate(arguments.rows, arguments.seed), arguments.out)
    print(f"sample data: {arguments.rows} interactions written to {arguments.out}")


if __name__ == "__main__":
    main()
