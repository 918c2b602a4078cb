"""The report's last sections: the pipeline DAG (`dvc dag`) and where the model was trained and
the report built."""

import os
import platform

from ..core.hardware import gpu_name
from ..core.paths import TRAIN_INFO_FILE
from .revisions import dvc, local_json


def dag_section() -> list[str]:
    succeeded, output = dvc("dag", "--md")
    return ["## Pipeline", "", output if succeeded else f"`dvc dag` failed: {output}"]


def where_section() -> list[str]:
    info = local_json(TRAIN_INFO_FILE)
    lines = ["## Where it ran", "", f"- Report built on: {runner_description()}"]
    if info is None:
        return [*lines, f"- No {TRAIN_INFO_FILE}: the train stage has not run."]
    device = info["device"] + (f" ({info['gpu']})" if info.get("gpu") else "")
    packages = ", ".join(f"{name} {version}" for name, version in info["packages"].items())
    return [
        *lines,
        f"- Training: {info['model']} on {info['rows']} rows in {info['train_seconds']} s, device {device}",
        f"- Python {info['python']}; {packages}",
        f"- _From {TRAIN_INFO_FILE}: when DVC restored the train stage from its cache, these are the figures "
        "of the run that trained it._",
    ]


def runner_description() -> str:
    environment = os.environ
    if environment.get("GITHUB_ACTIONS"):
        kind = environment.get("RUNNER_ENVIRONMENT", "runner")
        where = (
            f"GitHub Actions, {kind} runner {environment.get('RUNNER_NAME', '?')} ({environment.get('RUNNER_OS', '?')})"
        )
    elif environment.get("GITLAB_CI"):
        tags = environment.get("CI_RUNNER_TAGS") or "no tags"
        where = f"GitLab CI, runner {environment.get('CI_RUNNER_DESCRIPTION', '?')} (tags: {tags})"
    else:
        where = f"{platform.node()} (not in CI)"
    return f"{where}; {platform.platform()}; GPU: {gpu_name() or 'none'}"
