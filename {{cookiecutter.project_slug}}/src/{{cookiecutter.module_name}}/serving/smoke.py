"""make smoke: a running server answers the bundle's reference rows (the test split's first rows as
read) with evaluate's predictions for them, and says it serves the expected version. The same skew
check as the bundle stage's, asked over HTTP of a server that may be a container or another machine."""

import json
import urllib.error
import urllib.request

import numpy as np

from ..core.errors import PipelineError
from ..scoring.bundle import Bundle
from .bundles import Release
from .requests import records

TOLERANCE = 1e-6


def call(url: str, body: bytes | None = None, timeout: float = 60) -> dict:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise PipelineError(f"{url} answered {error.code}: {error.read().decode(errors='replace')[:300]}") from None
    except (urllib.error.URLError, OSError) as error:
        raise PipelineError(
            f"{url}: no answer ({getattr(error, 'reason', error)}); is the server running (make serve)?"
        ) from None


def smoke(url: str, release: Release, bundle: Bundle) -> str:
    url = url.rstrip("/")
    call(f"{url}/health")
    served = call(f"{url}/metadata")
    if served["version"] != release.version:
        raise PipelineError(f"{url} serves {served['model']}@{served['version']}, not {release.version} as asked")
    rows, expected = bundle.reference()
    answer = call(f"{url}/predict", json.dumps(records(rows)).encode())
    if bundle.schema["task"] == "classification":
        got = np.asarray(answer["probabilities"], dtype=np.float64)
    else:
        got, expected = np.asarray(answer["predictions"], dtype=np.float64), expected[:, 0]
    differs = ~np.isclose(got, expected, rtol=TOLERANCE, atol=TOLERANCE)
    if got.shape != expected.shape or differs.any():
        row = int(np.argmax(differs.reshape(len(got), -1).any(axis=1))) if got.shape == expected.shape else 0
        raise PipelineError(
            f"skew: {url} answers {got[row].tolist()} for reference row {row + 1}, evaluate answered "
            f"{expected[row].tolist()}: the server does not score as the pipeline does"
        )
    return f"{len(rows)} reference rows answered as evaluate did by {served['model']}@{served['version']} at {url}"
