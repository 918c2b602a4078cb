"""Stage 5, bundle: the model with everything that serving it needs, in models/bundle/ (the
artifact a release tags and `dvc artifacts get` fetches; scoring/bundle.py lists what is in it).

Before the bundle is written, the skew check: the test split's first rows as they were read
(data/raw_test_rows.parquet) go through the whole scoring path, as a served request would (the row
transform with the bundle's own lookups, counts and schema, then the model), and their answers must
equal evaluate's for the same rows (the processed test split through the model-input code). A
bundle that would answer differently from the pipeline is never written: the stage fails, naming
the first row that differs.
"""

import platform
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from ..core.errors import PipelineError, run
from ..core.files import atomic_path, read_json
from ..core.modeling import predictions
from ..core.params import load_params
from ..core.paths import (
    BUNDLE_DIR,
    COUNTS_FILE,
    DATA_PROFILE_FILE,
    FEATURE_DISTRIBUTIONS_FILE,
    METRICS_FILE,
    MODEL_FILE,
    PREDICTION_DISTRIBUTION_FILE,
    RAW_TEST_ROWS_FILE,
    SCHEMA_FILE,
    TEST_FILE,
)
from ..dataset import read_table, reading_params
from ..scoring.bundle import REFERENCE_PREDICTIONS, REFERENCE_ROWS, Bundle, load_bundle, lookup_columns, write_bundle
from ..scoring.rows import decoded_features, transform_settings
from ..scoring.score import Scorer

TOLERANCE = 1e-6  # probabilities (and relative, predicted values) may differ by float rounding, no more
PACKAGES = ["xgboost", "scikit-learn", "pandas", "numpy", "pyarrow"]


def first_rows(split: Path, count: int) -> pd.DataFrame:
    """The first `count` rows of a processed split (one parquet file, or a folder of parts)."""
    files = sorted(split.glob("part.*.parquet")) if split.is_dir() else [split]
    frames, rows = [], 0
    for file in files:
        for batch in pq.ParquetFile(file).iter_batches(batch_size=max(count, 1)):
            frames.append(batch.to_pandas())
            rows += batch.num_rows
            if rows >= count:
                return pd.concat(frames, ignore_index=True).head(count)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def manifest(params: dict, schema: dict, main_columns: list[str]) -> dict:
    """bundle.json less its lookups: the columns the model reads (the main table's, less the target and
    data.drop_columns) with their types (a date column's are dates, as text), the row transform's
    settings as preprocess chose them (scoring/rows.transform_settings), and what /metadata reports."""
    data = params["data"]
    transform = transform_settings(data, schema)
    numeric, dates, counted = transform["numeric"], transform["dates"], transform["counted"]
    dropped = (
        set(data.get("drop_columns") or []) - {lookup["key"] for lookup in data.get("lookups") or []} - set(counted)
    )
    columns = [column for column in main_columns if column != data["target"] and column not in dropped]
    kinds = {column: "date" if column in dates else "number" if column in numeric else "text" for column in columns}
    return {
        "columns": kinds,
        "transform": transform,
        "reading": reading_params(data),
        "task": schema["task"],
        **({"classes": schema["classes"]} if schema["task"] == "classification" else {}),
        "model": params["train"]["model"],
        "gate_metric": params["gate"]["metric"],
        "training_rows": read_json(DATA_PROFILE_FILE)["rows"]["train"],
        "drift": {key: params["drift"][key] for key in ("quantiles", "top_categories", "psi_threshold")},
        "python": platform.python_version(),
        "packages": {package: version(package) for package in PACKAGES},
    }


def check_skew(bundle: Bundle, raw_rows: pd.DataFrame, expected: np.ndarray) -> None:
    """The bundle answers for `raw_rows` as evaluate did (`expected`), or the stage fails."""
    served = Scorer(bundle).score(raw_rows).outputs
    served, expected = np.asarray(served, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    differs = ~np.isclose(served, expected, rtol=TOLERANCE, atol=TOLERANCE)
    if served.shape != expected.shape or differs.any():
        row = int(np.argmax(differs.reshape(len(served), -1).any(axis=1))) if served.shape == expected.shape else 0
        raise PipelineError(
            f"skew: the scoring path answers {served[row].tolist()} for row {row + 1} of {RAW_TEST_ROWS_FILE}, "
            f"evaluate {expected[row].tolist()} for the same test row; the row transform (scoring/rows.py) or "
            "add_features() treats new rows differently from preprocess's. No bundle was written"
        )


def main() -> None:
    params = load_params()
    data = params["data"]
    schema = read_json(SCHEMA_FILE)
    raw_rows = pd.read_parquet(RAW_TEST_ROWS_FILE)
    raw_rows.attrs["source"] = str(RAW_TEST_ROWS_FILE)
    test_rows = first_rows(TEST_FILE, len(raw_rows))
    transform = transform_settings(data, schema)
    wanted = {*transform["numeric"], *transform["categorical"], *transform["counted"], *transform["dates"]}
    reading = reading_params(data)
    raw_dir = Path(data["raw_dir"])
    lookups = [
        (lookup_columns(read_table(raw_dir / entry["table"], reading), entry["key"], wanted), entry["key"])
        for entry in data.get("lookups") or []
    ]
    files = {
        "model.joblib": MODEL_FILE,
        "schema.json": SCHEMA_FILE,
        "counts.parquet": COUNTS_FILE,
        "feature_distributions.json": FEATURE_DISTRIBUTIONS_FILE,
        "prediction_distribution.json": PREDICTION_DISTRIBUTION_FILE,
        "metrics.json": METRICS_FILE,
        REFERENCE_ROWS: RAW_TEST_ROWS_FILE,
    }
    with atomic_path(BUNDLE_DIR, directory=True) as folder:
        write_bundle(folder, files, lookups, manifest(params, schema, list(raw_rows.columns)))
        bundle = load_bundle(folder)  # as serving loads it; its model is MODEL_FILE's bytes, loaded once
        # evaluate's predictions for the same rows: the processed test split through the model-input code
        expected = np.asarray(predictions(bundle.model, decoded_features(test_rows, schema)))
        expected = expected.reshape(len(test_rows), -1)
        columns = [str(index) for index in range(expected.shape[1])]
        pd.DataFrame(expected, columns=columns).to_parquet(folder / REFERENCE_PREDICTIONS, index=False)
        check_skew(bundle, raw_rows, expected if schema["task"] == "classification" else expected[:, 0])
    print(
        f"bundle: {BUNDLE_DIR} ({len(lookups)} lookup tables); the scoring path answers for {len(raw_rows)} raw "
        "test rows as evaluate did"
    )


if __name__ == "__main__":
    run(main)
