"""Ctrl-C during a real stage: one line, exit 130, no traceback, and nothing half-written left.

A stage writes its outputs through core/files.atomic_path (a temporary file or folder beside the
output, moved into place only when the stage succeeds), and core/errors.run turns Ctrl-C into one
line. This sends SIGINT, as a terminal's Ctrl-C does, to the real preprocess stage while it is
writing data/processed on data large enough to be caught mid-way.
"""

import os
import signal
import subprocess
import time
from pathlib import Path

from conftest import run

MODULE = "music_recommendation"
ROWS = 2_000_000  # preprocess takes a few seconds on them here: time enough to be interrupted mid-way


def temporaries(project: Path) -> list[Path]:
    """atomic_path's temporary outputs (a dot, the output's name, a random suffix), anywhere in the project."""
    return [
        path
        for folder in ("data", "reports", "models", ".")
        for path in (project / folder).glob(".*.*")
        if path.name.split(".")[1] in ("processed", "data_profile", "feature_distributions", "metrics", "model")
    ]


def as_from_a_terminal() -> None:
    """Ctrl-C's signal handled as it is for a command typed at a terminal, whatever started the suite:
    a shell without job control starts a background job (`make test &`) with SIGINT ignored, and
    Python leaves an inherited SIG_IGN in place, so the stage would not see Ctrl-C at all."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_during_preprocess_prints_one_line_exits_130_and_leaves_nothing_half_written(project_copy):
    # given a set-up project whose raw data is large, and no processed data yet
    run(["make", "sample-data", f"ROWS={ROWS}"], cwd=project_copy)
    assert not (project_copy / "data/processed").exists()
    # when preprocess runs and is interrupted while its output folder is being written
    stage = subprocess.Popen(
        [".venv/bin/python", "-m", f"{MODULE}.stages.preprocess"],
        cwd=project_copy, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=as_from_a_terminal,
    )
    # The moment its temporary output folder appears, the stage is frozen (SIGSTOP) so that however
    # slowly this test is scheduled on a busy machine, Ctrl-C reaches it mid-work: the main table is
    # read, checked, split and written into that folder after it appears.
    deadline = time.monotonic() + 120
    while not list((project_copy / "data").glob(".processed.*")) and time.monotonic() < deadline:
        assert stage.poll() is None, stage.communicate()
        time.sleep(0.01)
    os.kill(stage.pid, signal.SIGSTOP)
    assert list((project_copy / "data").glob(".processed.*")), "preprocess never started writing"
    assert stage.poll() is None, "preprocess finished before it could be interrupted: give it more rows"
    os.kill(stage.pid, signal.SIGINT)
    os.kill(stage.pid, signal.SIGCONT)  # the pending Ctrl-C arrives as it resumes
    stdout, stderr = stage.communicate(timeout=120)
    # then it says so on one line, exits as an interrupted command does, without a traceback
    assert stage.returncode == 130, stdout + stderr
    assert stderr == "interrupted; nothing half-written was left behind\n"
    assert "Traceback" not in stdout + stderr
    # and it left no output, finished or half-written
    assert not (project_copy / "data/processed").exists()
    assert not (project_copy / "reports/data_profile.json").exists()
    assert temporaries(project_copy) == []
