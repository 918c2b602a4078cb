"""Errors for people: a problem the user can fix is one line naming what to change, never a traceback."""

import os
import sys
from collections.abc import Callable


class PipelineError(Exception):
    """A problem the user can fix (bad data, bad params); printed without a traceback."""


def run(main: Callable[[], None]) -> None:
    """Run a command's main(): a PipelineError, or any other failure, ends it with one line and exit 1;
    Ctrl-C with one line and exit 130 (the outputs are written through files.atomic_path, so an
    interrupted stage leaves nothing half-written).

    Set PIPELINE_TRACEBACK=1 to see where an unexpected error came from.
    """
    try:
        main()
    except PipelineError as error:
        # Several problems are several lines (params.yaml's): each its own `error:` line; an indented
        # line continues the one before it.
        for line in str(error).splitlines():
            print(line if line.startswith(" ") else f"error: {line}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("interrupted; nothing half-written was left behind", file=sys.stderr)
        # At once, without the interpreter's shutdown: the temporary outputs are gone already
        # (atomic_path), and a pyarrow CSV read cut short by Ctrl-C can leave threads that abort
        # the shutdown ("terminate called without an active exception", exit 134 instead of 130).
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    except Exception as error:  # a state no check foresaw: still one line, and still a failure
        if os.environ.get("PIPELINE_TRACEBACK"):
            raise
        print(f"error: unexpected {type(error).__name__}: {error} (PIPELINE_TRACEBACK=1 shows where)", file=sys.stderr)
        sys.exit(1)
