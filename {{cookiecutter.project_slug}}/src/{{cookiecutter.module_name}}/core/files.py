"""Writing files so that a failed or interrupted run leaves none half-written, and reading back the
JSON files the pipeline wrote, strictly."""

import json
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .errors import PipelineError


@contextmanager
def atomic_path(target: Path, directory: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside `target`; move it into place only if the block succeeds.

    A stage that fails half-way (or is interrupted) therefore leaves no half-written file or folder.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    # Ctrl-C is held back while the temporary is made: one that came after it existed and before the
    # try below would leave it behind. It lands once the try is entered, which removes the temporary.
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        if directory:
            temporary = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        else:
            handle, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
            temporary = Path(name)
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        raise
    try:  # from the moment it exists: a Ctrl-C between making it and using it removes it too
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        if directory:
            temporary.chmod(0o777 & ~_umask())
        else:
            os.close(handle)
            temporary.chmod(0o666 & ~_umask())  # mkstemp makes it private; give it a normal file's mode
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


def _to_builtin(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
