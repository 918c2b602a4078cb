"""The sample-data generator: deterministic, and any size written a piece at a time."""

import pandas as pd

from {{ cookiecutter.module_name }} import sample_data


def test_the_seed_fixes_the_rows(tmp_path):
    for name in ("first", "second"):
        sample_data.write(sample_data.generate(2500, seed=7), tmp_path / name)
    for table in ("interactions.csv", "members.csv", "songs.csv"):
        assert (tmp_path / "first" / table).read_bytes() == (tmp_path / "second" / table).read_bytes()


def test_pieces_of_one_table_are_written_as_one_file(tmp_path, monkeypatch):
    monkeypatch.setattr(sample_data, "CHUNK_ROWS", 1000)  # three pieces of interactions
    pieces = list(sample_data.generate(2500, seed=7))
    assert [name for name, _ in pieces].count("interactions.csv") == 3
    sample_data.write(iter(pieces), tmp_path / "raw")
    interactions = pd.read_csv(tmp_path / "raw" / "interactions.csv")
    assert len(interactions) == 2500  # one header, then every piece's rows
    assert list(interactions.columns) == list(pieces[-1][1].columns)
    assert interactions["msno"].isin(pieces[0][1]["msno"]).all()  # every piece plays the same members
