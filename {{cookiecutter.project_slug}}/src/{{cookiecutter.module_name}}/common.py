"""What the stages share: file locations, params, user-facing errors and safe writes.

No stage imports another stage; each imports this module (and models.py) only.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

PARAMS_FILE = Path("params.yaml")
BASELINE_FILE = Path("baseline.txt")
PROCESSED_DIR = Path("data/processed")
TRAIN_FILE = PROCESSED_DIR / "train.parquet"
TEST_FILE = PROCESSED_DIR / "test.parquet"
SCHEMA_FILE = PROCESSED_DIR / "schema.json"
MODEL_FILE = Path("models/model.joblib")
METRICS_FILE = Path("metrics.json")
REPORTS_DIR = Path("reports")
DATA_PROFILE_FILE = REPORTS_DIR / "data_profile.json"
TRAIN_INFO_FILE = REPORTS_DIR / "train_info.json"
SANITY_FILE = REPORTS_DIR / "sanity.json"
CLASSIFICATION_REPORT_FILE = REPORTS_DIR / "classification_report.txt"
CONFUSION_MATRIX_FILE = REPORTS_DIR / "confusion_matrix.png"
PLOTS_DIR = REPORTS_DIR / "plots"
ROC_FILE = PLOTS_DIR / "roc.csv"
PRECISION_RECALL_FILE = PLOTS_DIR / "precision_recall.csv"
FEATURE_IMPORTANCE_FILE = PLOTS_DIR / "feature_importance.csv"
PREDICTED_VS_ACTUAL_FILE = PLOTS_DIR / "predicted_vs_actual.csv"  # regression only
RESIDUALS_FILE = PLOTS_DIR / "residuals.csv"  # regression only
REGRESSION_PLOT_FILE = PLOTS_DIR / "regression.png"  # regression only


class PipelineError(Exception):
    """A problem the user can fix (bad data, bad params); printed without a traceback."""


def load_params(path: Path = PARAMS_FILE) -> dict:
    try:
        with open(path, encoding="utf-8") as file:
            params = yaml.load(file, Loader=_UniqueKeyLoader)  # a SafeLoader: no arbitrary objects
    except FileNotFoundError:
        raise PipelineError(f"{path} is missing: run from the project's folder") from None
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise PipelineError(f"{path} is not valid YAML: {error}".replace("\n", " ")) from None
    if not isinstance(params, dict):
        raise PipelineError(f"{path} holds no settings: restore it from git (git checkout {path})")
    return params


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader that refuses a key given twice (PyYAML would keep the last silently)."""

    def construct_mapping(self, node, deep=False):
        keys = [self.construct_object(key, deep=deep) for key, _ in node.value]
        for key in keys:
            if keys.count(key) > 1:
                raise yaml.constructor.ConstructorError(None, None, f"key {key!r} appears twice", node.start_mark)
        return super().construct_mapping(node, deep=deep)


def run(main: Callable[[], None]) -> None:
    """Run a stage's main(): a PipelineError, or any other failure, ends it with one line and exit 1.

    Set PIPELINE_TRACEBACK=1 to see where an unexpected error came from.
    """
    try:
        main()
    except PipelineError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
    except Exception as error:  # a state no check foresaw: still one line, and still a failure
        if os.environ.get("PIPELINE_TRACEBACK"):
            raise
        print(f"error: unexpected {type(error).__name__}: {error} (PIPELINE_TRACEBACK=1 shows where)", file=sys.stderr)
        sys.exit(1)


@contextmanager
def atomic_path(target: Path, directory: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside `target`; move it into place only if the block succeeds.

    A stage that fails half-way therefore leaves no half-written file or folder behind.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    if directory:
        temporary = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        temporary.chmod(0o777 & ~_umask())
    else:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        os.close(handle)
        temporary = Path(name)
        temporary.chmod(0o666 & ~_umask())  # mkstemp makes it private; give it a normal file's mode
    try:
        yield temporary
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True) if directory else temporary.unlink(missing_ok=True)
        raise
    if directory and target.exists():
        shutil.rmtree(target)
    os.replace(temporary, target)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_json(path: Path, content: dict) -> None:
    with atomic_path(path) as temporary:
        temporary.write_text(json.dumps(content, indent=2, default=_to_builtin) + "\n")


def read_json(path: Path):
    """A JSON file the pipeline wrote; a missing, damaged or ambiguous one is a PipelineError naming it.

    A key that appears twice is refused: JSON readers disagree on which one counts.
    """
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"), object_pairs_hook=_unique_keys)
    except FileNotFoundError:
        raise PipelineError(f"{path} is missing: run the pipeline first (make repro)") from None
    except (ValueError, RecursionError, OSError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        reason = str(error) if not isinstance(error, RecursionError) else "nested too deeply"
        raise PipelineError(f"{path} is not valid JSON ({reason[:200]}): rerun the pipeline (make repro)") from None


def _unique_keys(pairs: list[tuple]) -> dict:
    keys = [key for key, _ in pairs]
    repeated = {key for key in keys if keys.count(key) > 1}
    if repeated:
        raise ValueError(f"key {sorted(repeated)[0]!r} appears twice")
    return dict(pairs)


def task_of(profile) -> str:
    """The task preprocess recorded in the data profile (one written before regression existed: classification)."""
    return profile.get("task", "classification") if isinstance(profile, dict) else "classification"


def required_sanity_checks(profile: dict) -> list[str]:
    """The checks that sanity_check writes for data with this profile; the gate insists on each.

    A sanity file with fewer (hand-edited, or from an older pipeline) fails the gate.
    """
    if task_of(profile) == "regression":
        return [
            "test_rows",
            "predictions_finite",
            "predictions_in_range",
            "residual_bias",
            "beats_mean_baseline",
            "prediction_spread",
            "cv_fold_outlier",
        ]
    classes = profile.get("class_balance") if isinstance(profile, dict) else None
    if not isinstance(classes, dict) or not classes:
        raise PipelineError(f"{DATA_PROFILE_FILE} has no class_balance: rerun the pipeline (make repro)")
    return [
        "test_rows",
        "classes_in_both_splits",
        "probabilities_in_range",
        "probabilities_sum_to_one",
        *(f"class_share[{name}]" for name in classes),
        "cv_fold_outlier",
    ]


def check(name: str, value: float, threshold: float, passed: bool, detail: str) -> dict:
    """One sanity check's record in reports/sanity.json."""
    return {
        "name": name,
        "value": round(float(value), 6),
        "threshold": threshold,
        "passed": bool(passed),
        "detail": detail,
    }


def _to_builtin(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def gpu_name() -> str | None:
    """The first NVIDIA GPU's name, if nvidia-smi can see one."""
    if shutil.which("nvidia-smi") is None:
        return None
    result = subprocess.run(
        ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True, text=True, check=False
    )
    names = result.stdout.strip().splitlines()
    return names[0].strip() if result.returncode == 0 and names else None


def load_split(path: Path, schema: dict) -> tuple[pd.DataFrame, np.ndarray]:
    """Read a processed split: features (categoricals restored from codes) and encoded labels."""
    frame = pd.read_parquet(path)
    for column, categories in schema["categories"].items():
        frame[column] = pd.Categorical.from_codes(frame[column].to_numpy(), categories=categories)
    labels = frame.pop(schema["target"]).to_numpy()
    return frame[schema["features"]], labels
