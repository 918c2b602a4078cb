"""`python -m <package>.serving <command>`: what make predict, serve, smoke and monitor run (see __init__.py)."""

import argparse
import os
import sys
from pathlib import Path

from ..core.errors import PipelineError, run
from ..core.params import load_params
from ..core.paths import PARAMS_FILE
from ..scoring.bundle import load_bundle
from ..scoring.score import Scorer
from .bundles import WORKSPACE, Release, describe, resolve, to_environment
from .settings import monitor_settings, serve_settings


def params() -> dict:
    """params.yaml where there is one (a container may have none: the defaults then apply)."""
    return load_params() if PARAMS_FILE.exists() else {}


def chosen(arguments: argparse.Namespace) -> Release:
    """--bundle DIR as it is (its labels from --version, --stage, MODEL_COMMIT), or resolve(--version, --stage)."""
    if arguments.bundle:
        version = arguments.version or WORKSPACE
        return Release(
            Path(arguments.bundle),
            os.environ.get("MODEL_NAME", "model"),
            version,
            arguments.stage,
            os.environ.get("MODEL_COMMIT") or None,
        )
    return resolve(arguments.version, arguments.stage)


def serve(arguments: argparse.Namespace) -> None:
    import uvicorn  # only the server needs it

    release = chosen(arguments)
    settings = serve_settings(params())
    load_bundle(release.folder)  # a broken bundle is one line here, not a worker dying at start
    os.environ.update(to_environment(release))
    print(
        f"serving {describe(release)} on http://{arguments.host}:{arguments.port} ({arguments.workers} worker(s)); "
        f"request log: {settings['log'] or 'none'}",
        file=sys.stderr,
    )
    uvicorn.run(
        f"{__package__}.app:app_from_environment",
        factory=True,
        host=arguments.host,
        port=arguments.port,
        workers=arguments.workers,
        log_level="warning",
    )


def predict(arguments: argparse.Namespace) -> None:
    from .batch import predict_file  # each command imports only what it runs (monitor: matplotlib)

    release = chosen(arguments)
    rows = predict_file(
        Scorer(load_bundle(release.folder)),
        Path(arguments.source),
        Path(arguments.destination),
        serve_settings(params())["block_mb"],
    )
    print(f"predict: {rows} rows of {arguments.source} scored by {describe(release)} -> {arguments.destination}")


def smoke(arguments: argparse.Namespace) -> None:
    from .smoke import smoke as check  # each command imports only what it runs

    release = chosen(arguments)
    print(f"smoke: {check(arguments.url, release, load_bundle(release.folder))}")


def monitor(arguments: argparse.Namespace) -> None:
    # each command imports only what it runs (monitor: matplotlib)
    from .monitor import monitor as measure
    from .monitor import outcome

    release = chosen(arguments)
    settings = monitor_settings(params())
    summary = measure(Path(arguments.log), release, Scorer(load_bundle(release.folder)), settings)
    line, failed = outcome(summary, settings["fail_on_drift"])
    print(f"{line}; report: {Path(settings['report']) / 'report.md'}")
    if failed:
        raise PipelineError(f"features drifted and monitor.fail_on_drift is true: {', '.join(summary['drifted'])}")


def port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (1-65535)")
    return int(text)


def workers(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of worker processes (1 or more)")
    return int(text)


def main() -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {__package__}", description="Serve the model (README: Serving).")
    commands = parser.add_subparsers(dest="command", required=True)
    every = []
    for name, helps in (
        ("predict", "score a CSV or Parquet file of raw rows into a file of predictions"),
        ("serve", "answer HTTP requests (FastAPI, uvicorn)"),
        ("smoke", "check that a running server answers as evaluate did"),
        ("monitor", "measure the logged requests' drift from the training data"),
    ):
        command = commands.add_parser(name, help=helps)
        command.add_argument(
            "--version", default=os.environ.get("MODEL_VERSION") or None, help="a release, e.g. v0.3.0"
        )
        command.add_argument("--stage", default=os.environ.get("MODEL_STAGE") or None, help="the release in a stage")
        command.add_argument("--bundle", default=os.environ.get("MODEL_BUNDLE") or None, help="a bundle folder as is")
        every.append(command)
    predicting, serving, smoking, monitoring = every
    predicting.add_argument("source", help="raw rows: a .csv or .parquet file")
    predicting.add_argument("destination", help="predictions: a .csv or .parquet file")
    serving.add_argument("--host", default=os.environ.get("HOST") or "127.0.0.1")
    serving.add_argument("--port", type=port, default=os.environ.get("PORT") or "8000")
    serving.add_argument("--workers", type=workers, default=os.environ.get("WORKERS") or "1")
    smoking.add_argument("--url", default="http://127.0.0.1:8000", help="the server's address")
    monitoring.add_argument("log", help="the request log (serve.log)")
    arguments = parser.parse_args()
    {"predict": predict, "serve": serve, "smoke": smoke, "monitor": monitor}[arguments.command](arguments)


if __name__ == "__main__":
    run(main)
