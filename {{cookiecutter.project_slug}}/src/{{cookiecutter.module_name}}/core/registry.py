"""The model registry's names: the artifact dvc.yaml declares (type: model), which `make release`
versions (ops/release.py) and `make serve` fetches by version or stage (serving/bundles.py)."""

from pathlib import Path

import yaml

from .errors import PipelineError
from .paths import DVC_YAML


def model_artifact(path: Path = DVC_YAML) -> str:
    """The name of the model that dvc.yaml declares under `artifacts:` (type: model)."""
    try:
        declared = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("artifacts") or {}
    except (OSError, yaml.YAMLError) as error:
        raise PipelineError(f"{path} cannot be read ({error})".replace("\n", " ")) from None
    models = [name for name, spec in declared.items() if isinstance(spec, dict) and spec.get("type") == "model"]
    if len(models) != 1:
        raise PipelineError(
            f"{path}: `artifacts:` declares {len(models)} artifacts of type model; a release needs exactly one"
        )
    return models[0]
