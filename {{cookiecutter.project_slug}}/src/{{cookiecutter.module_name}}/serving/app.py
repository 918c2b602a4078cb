"""The model over HTTP (FastAPI, served by uvicorn: make serve).

    POST /predict    a JSON list of rows (or a CSV body, Content-Type: text/csv) -> the predictions
                     (and each class's probability), with the model's version
    GET  /health     200 once the bundle is loaded (the server accepts connections only then)
    GET  /metadata   version, commit, gate metric, training rows, the columns the model reads and their types

Bad input is answered with a 4xx naming the field (requests.py), never a 500, and the server goes
on. The app holds no state between requests (the bundle is only read, the log appends), so any
number of processes behind a load balancer answer alike.
"""

import sys
import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ..core.errors import PipelineError
from ..core.params import load_params
from ..core.paths import PARAMS_FILE
from ..scoring.bundle import load_bundle
from ..scoring.score import Scorer
from .bundles import Release, from_environment
from .log import RequestLog
from .requests import RequestError, rows_from_csv, rows_from_json
from .settings import serve_settings

CSV_TYPES = ("text/csv", "application/csv")


def create_app(release: Release, settings: dict) -> FastAPI:
    """The app for `release` (bundles.resolve); `settings`: serve_settings of params.yaml."""
    state: dict = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        bundle = load_bundle(release.folder)  # before the first connection is accepted
        state["scorer"] = Scorer(bundle)
        state["log"] = RequestLog(settings["log"], int(settings["log_max_mb"] * 1024 * 1024))
        yield

    app = FastAPI(title=f"{release.name} {release.version}", lifespan=lifespan)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, error: Exception) -> JSONResponse:
        traceback.print_exception(error, file=sys.stderr)  # a defect to fix, not bad input: keep its trace
        return JSONResponse({"detail": "internal error: the server's log has the details"}, status_code=500)

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok", "model": release.name, "version": release.version}

    @app.get("/metadata")
    def metadata() -> dict:
        bundle = state["scorer"].bundle
        manifest = bundle.manifest
        metric = manifest["gate_metric"]
        return {
            "model": release.name,
            "version": release.version,
            "stage": release.stage,
            "commit": release.commit,
            "task": manifest["task"],
            **({"classes": manifest["classes"]} if manifest["task"] == "classification" else {}),
            "estimator": manifest["model"],
            "metric": {"name": metric, "value": bundle.metrics.get(metric)},
            "metrics": bundle.metrics,
            "training_rows": manifest["training_rows"],
            "columns": manifest["columns"],
            "limits": {"max_rows": settings["max_rows"], "max_body_mb": settings["max_body_mb"]},
        }

    @app.post("/predict")
    async def predict(request: Request) -> JSONResponse:
        scorer: Scorer = state["scorer"]
        try:
            body = await read_body(request, int(settings["max_body_mb"] * 1024 * 1024))
            if request.headers.get("content-type", "").split(";")[0].strip().lower() in CSV_TYPES:
                frame, rows = rows_from_csv(body, scorer.bundle.manifest["reading"], settings["max_rows"])
            else:
                frame, rows = rows_from_json(body, scorer.columns, settings["max_rows"])
            scored = await run_in_threadpool(scorer.score, frame)
        except RequestError as error:
            return JSONResponse({"detail": str(error)}, status_code=error.status)
        except PipelineError as error:  # the row transform's checks: the field and row named
            return JSONResponse({"detail": str(error)}, status_code=422)
        answer = scorer.answer(scored.outputs)
        state["log"].append(release.version, rows, answer)
        return JSONResponse({"model": release.name, "version": release.version, **answer})

    return app


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused (413) as soon as it passes `limit` bytes, whatever Content-Length claims."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise RequestError(
            413, f"the body is {int(declared)} bytes; at most {limit} (serve.max_body_mb in params.yaml)"
        )
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > limit:
            raise RequestError(413, f"the body passes {limit} bytes (serve.max_body_mb in params.yaml)")
    return bytes(received)


def app_from_environment() -> FastAPI:
    """The app each uvicorn worker builds (make serve starts them: bundles.to_environment)."""
    params = load_params(PARAMS_FILE) if PARAMS_FILE.exists() else {}
    return create_app(from_environment(), serve_settings(params))
