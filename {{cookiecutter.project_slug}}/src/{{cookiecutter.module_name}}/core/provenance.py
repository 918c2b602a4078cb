"""Where a result came from: is a file the gate reads byte for byte what the pipeline wrote?

`dvc repro` records in dvc.lock the md5 of every output of every stage it ran (outs, metrics and
plots alike; DVC's md5 of a file is the md5 of its bytes). A result file whose bytes no longer
match (a hand-edited metrics.json, a sanity.json flipped to passed, a file copied from another
run) is refused, naming the file and the stage that writes it, and the fix: run make repro.

What this does and does not protect against: it catches accidental and lazy edits and stale
results. Someone who edits a result and dvc.lock together gets past it; CI, which reruns the
pipeline from the data (and downloads results only by the hashes dvc.lock records), is the real guard.
"""

import hashlib
from pathlib import Path

import yaml

from .errors import PipelineError
from .paths import DVC_LOCK, DVC_YAML


def check_written_by_pipeline(path: Path, lock: Path = DVC_LOCK, pipeline: Path = DVC_YAML) -> None:
    """Raise a PipelineError unless `path` is exactly what its stage wrote, as `lock` records it."""
    stage = writing_stage(path, pipeline)
    if not lock.is_file():
        raise PipelineError(
            f"{path} is not recorded in {lock}, which does not exist yet: the gate trusts only what the "
            f"pipeline wrote, so run make repro ({stage} writes it)"
        )
    recorded = recorded_outputs(lock)
    if path.as_posix() not in recorded:
        raise PipelineError(f"{lock} records no {path}: {stage} has not run through DVC: run make repro")
    recorded_stage, md5 = recorded[path.as_posix()]
    if hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest() != md5:
        raise PipelineError(f"{path} differs from what {recorded_stage} wrote ({lock}): run make repro")


def recorded_outputs(lock: Path = DVC_LOCK) -> dict[str, tuple[str, str]]:
    """{path: (stage, md5)} of every file output that dvc.lock records (a folder's md5 ends in .dir)."""
    try:
        content = yaml.safe_load(lock.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        message = f"{lock} cannot be read ({error}): run make repro to write it again"
        raise PipelineError(message.replace("\n", " ")) from None
    stages = content.get("stages") if isinstance(content, dict) else None
    if not isinstance(stages, dict):
        raise PipelineError(f"{lock} holds no stages: run make repro to write it again")
    recorded = {}
    for stage, record in stages.items():
        outputs = record.get("outs") if isinstance(record, dict) else None
        for output in outputs if isinstance(outputs, list) else []:
            if isinstance(output, dict) and isinstance(output.get("path"), str) and isinstance(output.get("md5"), str):
                recorded[output["path"]] = (str(stage), output["md5"])
    return recorded


def writing_stage(path: Path, pipeline: Path = DVC_YAML) -> str:
    """The dvc.yaml stage that writes `path` (an out, metric or plot), or "the pipeline"."""
    try:
        stages = (yaml.safe_load(pipeline.read_text(encoding="utf-8")) or {}).get("stages") or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError, AttributeError):
        return "the pipeline"
    for stage, definition in stages.items() if isinstance(stages, dict) else []:
        for kind in ("outs", "metrics", "plots"):
            entries = definition.get(kind) if isinstance(definition, dict) else None
            for entry in entries if isinstance(entries, list) else []:
                declared = next(iter(entry), None) if isinstance(entry, dict) else entry
                if declared == path.as_posix():
                    return str(stage)
    return "the pipeline"
