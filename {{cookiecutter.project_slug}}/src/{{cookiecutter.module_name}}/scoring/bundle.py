"""The serving bundle (models/bundle/, the bundle stage's output and the released artifact): the
model with everything that scoring a raw row needs to do exactly what preprocess did, and what
monitoring compares against. `dvc artifacts get` fetches it whole for a version or a stage.

    bundle.json                    what is in it: columns the model reads and their types, the row
                                   transform's settings, lookups, task and classes, gate metric, data rows
    model.joblib                   the trained model (a copy of models/model.joblib)
    schema.json, counts.parquet    the processed data's schema and the count features' training counts
    lookups/<n>.parquet            each lookup table: its key and the feature columns, as read
    feature_distributions.json     the training split's feature summaries (core/drift.py)
    prediction_distribution.json   the test split's prediction scores, summarised alike (evaluate)
    metrics.json                   evaluate's metrics
    reference/rows.parquet         the test split's first rows as read (data/raw_test_rows.parquet), and
    reference/predictions.parquet  evaluate's predictions for them: make smoke asks a server for the same
"""

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.errors import PipelineError
from ..core.files import read_json, write_json
from ..core.modeling import load_model
from ..core.tables import Lookup
from .rows import category_dtypes, clean_lookups

FORMAT = 1
MANIFEST = "bundle.json"
REFERENCE_ROWS = "reference/rows.parquet"
REFERENCE_PREDICTIONS = "reference/predictions.parquet"


@dataclass(frozen=True)
class Bundle:
    """A loaded bundle: its manifest (bundle.json), schema, model, lookups ready to join, training
    counts, category dtypes, and the summaries and metrics it carries."""

    folder: Path
    manifest: dict
    schema: dict
    model: object
    lookups: list[Lookup]
    counts: dict[str, pd.Series]
    dtypes: dict[str, pd.CategoricalDtype]
    feature_distributions: dict
    prediction_distribution: dict
    metrics: dict

    def reference(self) -> tuple[pd.DataFrame, np.ndarray]:
        """(raw rows, evaluate's outputs for them): what make smoke and the skew tests compare."""
        rows = pd.read_parquet(self.folder / REFERENCE_ROWS)
        rows.attrs["source"] = str(self.folder / REFERENCE_ROWS)
        return rows, pd.read_parquet(self.folder / REFERENCE_PREDICTIONS).to_numpy()


def lookup_columns(table: pd.DataFrame, key: str, wanted: set[str]) -> pd.DataFrame:
    """A lookup table cut to its key and the columns the features need (`wanted`), attrs kept."""
    trimmed = table[[key, *(column for column in table.columns if column in wanted and column != key)]]
    trimmed.attrs = dict(table.attrs)
    return trimmed


def write_bundle(folder: Path, files: dict[str, Path], lookups: list[tuple[pd.DataFrame, str]], manifest: dict) -> None:
    """Fill `folder` (an empty folder: stages/bundle.py writes through core/files.atomic_path): `files`
    copied in under their names, each lookup table as lookups/<n>.parquet, and bundle.json."""
    for name, source in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, folder / name)
    (folder / "lookups").mkdir()
    entries = []
    for number, (table, key) in enumerate(lookups):
        name = f"lookups/{number}.parquet"
        table.to_parquet(folder / name, index=False)
        entries.append({"file": name, "key": key, "source": table.attrs["source"]})
    write_json(folder / MANIFEST, {"format": FORMAT, **manifest, "lookups": entries})


def load_bundle(folder: Path) -> Bundle:
    """The bundle in `folder`, ready to score; a missing or foreign folder is one line saying what to do."""
    folder = Path(folder)
    if not (folder / MANIFEST).is_file():
        raise PipelineError(
            f"{folder} holds no serving bundle ({MANIFEST} is missing): run make repro, or fetch a release "
            "with VERSION=... or STAGE=..."
        )
    manifest = read_json(folder / MANIFEST)
    if manifest.get("format") != FORMAT:
        raise PipelineError(
            f"{folder / MANIFEST}: bundle format {manifest.get('format')!r}, this code reads format {FORMAT}; "
            "serve it with the code of the commit that made it"
        )
    schema = read_json(folder / "schema.json")
    transform = manifest["transform"]
    tables = []
    for entry in manifest["lookups"]:
        table = pd.read_parquet(folder / entry["file"])
        table.attrs.update(source=entry["source"], non_finite=manifest["reading"]["non_finite"])
        tables.append((table, entry["key"]))
    return Bundle(
        folder=folder,
        manifest=manifest,
        schema=schema,
        model=load_model(folder / "model.joblib"),
        lookups=clean_lookups(tables, transform["numeric"], transform["categorical"], transform["dates"]),
        counts=read_counts(folder / "counts.parquet", transform["counted"]),
        dtypes=category_dtypes(schema),
        feature_distributions=read_json(folder / "feature_distributions.json"),
        prediction_distribution=read_json(folder / "prediction_distribution.json"),
        metrics=read_json(folder / "metrics.json"),
    )


def read_counts(path: Path, counted: list[str]) -> dict[str, pd.Series]:
    """features.write_counts' table back as training_counts gave it: per counted column, rows per value
    (none for a column whose training values were all missing)."""
    table = pd.read_parquet(path)
    counts = {column: pd.Series(dtype=np.int64, index=pd.Index([], dtype="string[pyarrow]")) for column in counted}
    for column, group in table.groupby("column", sort=False):
        values = pd.Index(group["value"], dtype="string[pyarrow]")
        counts[column] = pd.Series(group["count"].to_numpy(dtype=np.int64), index=values)
    return counts
