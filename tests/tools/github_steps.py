"""Run a GitHub Actions workflow's `run:` steps locally, in order, as a runner would.

Not an Actions emulator: `uses:` steps are recorded, not run (the test prepares what they do:
the checkout, Python, Node), and expressions are the small subset the template's workflow uses
(contexts, string literals, == != && || !, parentheses, format(), and the status functions).
Steps whose `if:` is false are skipped; after a failed step only `always()` / `failure()` /
`!cancelled()` steps run, as on GitHub.
"""

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

TOKEN = re.compile(r"""\s*(?:(?P<string>'(?:[^']|'')*')|(?P<op>==|!=|&&|\|\||!|\(|\)|,)|(?P<number>\d+(?:\.\d+)?)"""
                   r"""|(?P<name>[A-Za-z_][\w.\-*]*))""")
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


class Expressions:
    """Evaluate ${{ }} expressions against a context: {"github": {...}, "env": {...}, ...}."""

    def __init__(self, context: dict, failed: bool = False):
        self.context = context
        self.failed = failed

    def lookup(self, dotted: str):
        value: Any = self.context
        for part in dotted.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return "" if value is None else value

    def evaluate(self, expression: str):
        functions = {
            "format": lambda template, *args: re.sub(r"\{(\d+)\}", lambda m: str(args[int(m.group(1))]), template),
            "success": lambda: not self.failed, "failure": lambda: self.failed,
            "always": lambda: True, "cancelled": lambda: False,
        }
        python, position = [], 0
        while position < len(expression):
            match = TOKEN.match(expression, position)
            if not match or match.end() == position:
                raise ValueError(f"unsupported expression: {expression!r} at {position}")
            position = match.end()
            kind, text = match.lastgroup, match.group(match.lastgroup or 0)
            if kind == "string":
                python.append(repr(text[1:-1].replace("''", "'")))
            elif kind == "op":
                python.append({"&&": " and ", "||": " or ", "!": " not "}.get(text, f" {text} "))
            elif kind == "number":
                python.append(text)
            elif text in ("true", "false", "null"):
                python.append({"true": "True", "false": "False", "null": "None"}[text])
            elif expression[position:].lstrip().startswith("("):
                python.append(f"functions[{text!r}]")
            else:
                python.append(f"lookup({text!r})")
        return eval("".join(python), {"functions": functions, "lookup": self.lookup})  # noqa: S307 (test-only subset)

    def condition(self, text) -> bool:
        if text is None:
            return not self.failed
        text = str(text).strip()
        wrapped = EXPRESSION.fullmatch(text)
        expression = wrapped.group(1) if wrapped else text
        uses_status = re.search(r"\b(success|failure|always|cancelled)\(", expression)
        return bool(self.evaluate(expression)) and (bool(uses_status) or not self.failed)

    def substitute(self, value) -> str:
        return EXPRESSION.sub(lambda match: str(self.evaluate(match.group(1))), str(value))


@dataclass
class StepResult:
    name: str
    command: str | None  # the run: text; None for a uses: step
    uses: str | None
    status: str          # "success", "failure" or "skipped"
    output: str = ""


@dataclass
class JobResult:
    name: str
    ran: bool
    steps: list[StepResult] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(step.status == "failure" for step in self.steps)

    def commands(self) -> list[str]:
        return [step.command.strip() for step in self.steps if step.command and step.status != "skipped"]


def run_job(workflow: dict, job_id: str, context: dict, checkout: Path, base_env: dict) -> JobResult:
    """Run one job's steps in `checkout`; `context` holds github, secrets (env is built here)."""
    job = workflow["jobs"][job_id]
    env = {key: str(value) for key, value in (workflow.get("env") or {}).items()}
    expressions = Expressions({**context, "env": env})
    if not expressions.condition(job.get("if")):
        return JobResult(job_id, ran=False)
    env |= {key: expressions.substitute(value) for key, value in (job.get("env") or {}).items()}
    result = JobResult(job_id, ran=True)
    for index, step in enumerate(job["steps"]):
        expressions = Expressions({**context, "env": env}, failed=result.failed)
        name = step.get("name") or step.get("uses") or f"step {index + 1}"
        if not expressions.condition(step.get("if")):
            result.steps.append(StepResult(name, step.get("run"), step.get("uses"), "skipped"))
            continue
        if "uses" in step:
            result.steps.append(StepResult(name, None, step["uses"], "success"))
            continue
        step_env = {key: expressions.substitute(value) for key, value in (step.get("env") or {}).items()}
        completed = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", step["run"]], cwd=checkout, capture_output=True, text=True,
            env={**os.environ, **base_env, **env, **step_env},
        )
        status = "success" if completed.returncode == 0 else "failure"
        result.steps.append(StepResult(name, step["run"], None, status, completed.stdout + completed.stderr))
    return result


def load(path: Path) -> dict:
    workflow = yaml.safe_load(path.read_text())
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads the key `on` as True
    return workflow
