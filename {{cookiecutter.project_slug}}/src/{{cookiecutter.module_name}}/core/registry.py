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


def version_in_stage(name: str, stage: str, repo: str = ".") -> str | None:
    """The version of `name` in `stage`, as `gto show` reports it: the one whose assignment to the stage
    is the latest; None if none is. (gto.api.find_versions_in_stage still answers the version that was
    assigned first once a stage has been rolled back to an older version.)"""
    from gto import api as gto  # heavy (pydantic, scmrepo): only releases and stage lookups need it

    for version in gto.show(repo, name):
        if any(entry["stage"] == stage and entry.get("is_active", True) for entry in version["stages"]):
            return version["version"]
    return None
