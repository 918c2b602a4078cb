"""The settings of serving and monitoring: `serve:` and `monitor:` in params.yaml, read and checked
here only (each wrong value is one line naming it), with the environment's overrides for a container."""

import os

from ..core.errors import PipelineError

DEFAULT_SERVE = {"max_rows": 10000, "max_body_mb": 20, "log": "logs/requests.jsonl", "log_max_mb": 100, "block_mb": 64}
DEFAULT_MONITOR = {"psi_threshold": 0.2, "fail_on_drift": False, "min_rows": 100, "report": "monitoring"}
LOG_VARIABLE = "REQUEST_LOG"  # overrides serve.log: a path, "-" for standard output, "" for no log


def _number(section: str, key: str, value, minimum: float, whole: bool):
    valid = type(value) is int if whole else type(value) in (int, float)
    if not valid or value < minimum:
        kind = "a whole number" if whole else "a number"
        raise PipelineError(f"params.yaml: {section}.{key} is {value!r}; it must be {kind} of at least {minimum}")
    return value


def serve_settings(params: dict) -> dict:
    """`serve:` with its defaults: request limits (max_rows, max_body_mb), the request log (log: a path,
    "-" for standard output, "" for none; log_max_mb) and make predict's block size (block_mb)."""
    given = params.get("serve") or {}
    if not isinstance(given, dict):
        raise PipelineError(f"params.yaml: serve is {given!r}; it must be a section of settings")
    settings = {key: given.get(key, default) for key, default in DEFAULT_SERVE.items()}
    for key in ("max_rows", "max_body_mb", "log_max_mb", "block_mb"):
        _number("serve", key, settings[key], 1, whole=key == "max_rows")
    log = os.environ.get(LOG_VARIABLE, settings["log"])
    if not isinstance(log, str):
        raise PipelineError(f'params.yaml: serve.log is {log!r}; give a path, "-" for standard output or ""')
    settings["log"] = log
    return settings


def monitor_settings(params: dict) -> dict:
    """`monitor:` with its defaults: the PSI above which a feature has drifted, whether make monitor then
    fails, the fewest logged rows worth judging, and the folder of its report."""
    given = params.get("monitor") or {}
    if not isinstance(given, dict):
        raise PipelineError(f"params.yaml: monitor is {given!r}; it must be a section of settings")
    settings = {key: given.get(key, default) for key, default in DEFAULT_MONITOR.items()}
    _number("monitor", "psi_threshold", settings["psi_threshold"], 0, whole=False)
    _number("monitor", "min_rows", settings["min_rows"], 1, whole=True)
    if type(settings["fail_on_drift"]) is not bool:
        raise PipelineError(f"params.yaml: monitor.fail_on_drift is {settings['fail_on_drift']!r}; true or false")
    if not isinstance(settings["report"], str) or not settings["report"]:
        raise PipelineError(f"params.yaml: monitor.report is {settings['report']!r}; give a folder")
    return settings
