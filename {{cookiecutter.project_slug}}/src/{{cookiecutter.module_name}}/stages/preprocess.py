"""Stage 1, preprocess: raw tables -> validated, joined, featured, encoded train/test splits.

Reads the lookup tables that params.yaml names (dataset.py) and hands them, with the main table,
to the engine, which checks every table, joins the lookups on their keys, adds your features
(features.py), encodes categoricals and splits train/test with a fixed seed (core/split.py).
Every check names the file and the column at fault, and nothing is written unless all pass.

The task (classification or regression, params.yaml data.task) is decided here, once
(core/target.py), and recorded in schema.json and the data profile for every later stage and the gate.

Outputs: data/processed/{train,test}.parquet, counts.parquet and schema.json (task, features,
categories, classes); reports/data_profile.json (task, rows, class balance or target summary,
missing values, join coverage) and reports/feature_distributions.json (for the drift report); and
data/raw_test_rows.parquet, the test split's first rows as they were read (preprocess.raw_test_rows
of them, without the target), which the bundle stage sends through the scoring path to check it.
"""

from pathlib import Path

from ..core.drift import drift_params
from ..core.errors import run
from ..core.files import atomic_path, write_json
from ..core.params import load_params
from ..core.paths import DATA_PROFILE_FILE, FEATURE_DISTRIBUTIONS_FILE, PROCESSED_DIR, RAW_TEST_ROWS_FILE
from ..dataset import read_table, reading_params
from ..engine import open_engine


def main() -> None:
    params = load_params()
    data = params["data"]
    drift = drift_params(params)  # checked before the slow part
    raw_dir = Path(data["raw_dir"])
    reading = reading_params(data)
    lookups = [(read_table(raw_dir / lookup["table"], reading), lookup["key"]) for lookup in data.get("lookups") or []]
    with open_engine(params) as engine, atomic_path(PROCESSED_DIR, directory=True) as folder:
        prepared = engine.prepare(raw_dir / data["main_table"], lookups, data, params["preprocess"], drift, folder)
        write_json(folder / "schema.json", prepared.schema)
    with atomic_path(RAW_TEST_ROWS_FILE) as temporary:
        prepared.raw_test_rows.to_parquet(temporary, index=False)
    write_json(DATA_PROFILE_FILE, prepared.profile)
    write_json(FEATURE_DISTRIBUTIONS_FILE, prepared.distributions)
    schema, rows = prepared.schema, prepared.profile["rows"]
    print(f"preprocess: task {schema['task']} ({schema['task_reason']})")
    target = f"classes {schema['classes']}" if schema["task"] == "classification" else f"target {schema['target']!r}"
    print(f"preprocess: {rows['train']} train / {rows['test']} test rows, {len(schema['features'])} features, {target}")


if __name__ == "__main__":
    run(main)
