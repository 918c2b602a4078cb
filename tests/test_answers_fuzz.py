"""Property: whatever the answers, a bake is refused cleanly or yields files that parse and hold them.

For generated answer sets (line breaks, quotes, comment and template characters, emoji, URLs
with `#`, YAML words such as `true` or `010`), either
  - the bake is refused with each refusal naming a field that was changed, and nothing is left
    on disk; or
  - every YAML, TOML, JSON, INI (.dvc/config), Python file and the Makefile of the project
    parses, each answer reaches its file verbatim, and the code passes the project's own ruff
    (`ruff check`, `ruff format --check`: the version requirements.lock pins, the settings of the
    generated pyproject.toml), as CI's `make lint` runs it first on every pull request.
The examples are derandomised and bounded so the test runs in well under a minute.
"""

import ast
import json
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import yaml
from conftest import TEMPLATE, bake, dvc_config
from cookiecutter.exceptions import FailedHookException
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_bake import project_files

# Characters and words that break files when pasted in unescaped (mostly printable, so that
# most examples bake), and a few that no answer may hold (line breaks, controls).
PRINTABLE = [
    " ", "#", ";", ",", "'", '"', "\\", "$", "`", ":", "[", "]", "{{", "}}", "{%", "%}", "{#", "{% endraw %}",
    "{{ 7*7 }}", "true", "yes", "null", "010", "0x10", "1_000", "é", "🎉", "s3://", "http://", "/", "..", "-",
    "_", ".", "gpu", "bucket", "a",
]
UNPRINTABLE = ["\n", "\r", "\t", "\x07", "\u2028", "\ufeff"]
pieces = st.lists(st.sampled_from(PRINTABLE), max_size=4).map("".join)
printable = st.builds(lambda before, after: f"{before}x{after}", pieces, pieces)  # never blank
anything = st.lists(st.one_of(st.sampled_from(PRINTABLE + UNPRINTABLE), st.text(max_size=2)), max_size=6).map("".join)
# About one field in five gets an answer that may well be refused; the others are hard but valid.
text = st.one_of(printable, printable, printable, printable, anything)
runner_tag = st.one_of(
    st.sampled_from(["true", "yes", "on", "null", "1.0", "0x10", "010", "1_000", "a100"]),
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,12}", fullmatch=True),
    anything,
)
remote = st.one_of(
    st.just(""),
    st.builds(lambda prefix: f"s3://team-models/{prefix}", text),
    st.builds(lambda path: f"/srv/dvc/{path}", text),
    text,
)
endpoint = st.one_of(st.just(""), st.builds(lambda tail: f"http://127.0.0.1:9000{tail}", text))
FREE_TEXT = ["project_name", "description", "author_name"]
# The template's test environment has the ruff that requirements.lock pins (requirements-dev.txt).
RUFF = Path(sys.executable).with_name("ruff")


@st.composite
def answer_sets(draw):
    answers = {field: draw(st.one_of(st.none(), text)) for field in FREE_TEXT}
    answers = {field: value for field, value in answers.items() if value is not None}
    answers["gpu_runner_tag"] = draw(runner_tag)
    answers["dvc_remote_url"] = draw(remote)
    answers["s3_endpoint_url"] = draw(endpoint) if answers["dvc_remote_url"].startswith("s3://") else ""
    answers["use_gpu"] = draw(st.sampled_from(["no", "yes"]))
    return answers


def parse_every_file(project: Path) -> dict:
    """Parse every structured file of the project; a file that does not parse raises."""
    parsers = {".yaml": yaml.safe_load, ".yml": yaml.safe_load, ".json": json.loads, ".toml": tomllib.loads,
               ".py": ast.parse}
    parsed = {name: parsers[Path(name).suffix]((project / name).read_text(encoding="utf-8"))
              for name in project_files(project) if Path(name).suffix in parsers}
    parsed[".dvc/config"] = dvc_config(project)
    make = subprocess.run(["make", "--no-print-directory", "-n", "help"], cwd=project, capture_output=True, text=True)
    assert make.returncode == 0, make.stderr
    return parsed


def assert_answers_arrived(answers: dict, project: Path, parsed: dict) -> None:
    if "project_name" in answers:
        assert (project / "README.md").read_text(encoding="utf-8").splitlines()[0] == f"# {answers['project_name']}"
    pyproject = parsed["pyproject.toml"]["project"]
    if "description" in answers:
        assert pyproject["description"] == answers["description"]
    if "author_name" in answers:
        assert pyproject["authors"] == [{"name": answers["author_name"]}]
        assert answers["author_name"] in (project / "LICENSE").read_text(encoding="utf-8")
    if answers["use_gpu"] == "yes" and "gpu_runner_tag" in answers:
        tag = answers["gpu_runner_tag"]
        assert parsed[".github/workflows/cml.yaml"]["jobs"]["train-and-report"]["runs-on"] == ["self-hosted", tag]
        assert parsed[".github/actionlint.yaml"]["self-hosted-runner"]["labels"] == [tag]
        assert parsed[".gitlab-ci.yml"][".python"]["tags"] == [tag]  # every training job extends .python
    if not answers["dvc_remote_url"].strip():  # make setup adds a directory beside the project
        assert list(parsed[".dvc/config"]) == ["core"]
        return
    remote_settings = parsed[".dvc/config"]['remote "storage"']
    if answers["dvc_remote_url"].startswith("s3://"):
        assert remote_settings["url"] == answers["dvc_remote_url"].strip()
    if answers["s3_endpoint_url"]:
        assert remote_settings["endpointurl"] == answers["s3_endpoint_url"].strip()


def assert_lint_clean(project: Path) -> None:
    """The project's ruff (check and format) on its own code, with its pyproject.toml's settings."""
    for command in (["check", "--no-cache"], ["format", "--check", "--no-cache"]):
        result = subprocess.run([str(RUFF), *command, "src", "tests"], cwd=project, capture_output=True, text=True)
        assert result.returncode == 0, f"ruff {command[0]} in {project.name}:\n{result.stdout}{result.stderr}"


def pinned_ruff(requirements: Path) -> str | None:
    match = re.search(r"^ruff==(\S+)", requirements.read_text(), flags=re.M)
    return match[1] if match else None


def test_the_template_lints_bakes_with_the_ruff_the_project_pins():
    # given the ruff that the generated project locks, and the one the template's tests install
    project_pin = pinned_ruff(TEMPLATE / "{{cookiecutter.project_slug}}" / "requirements.lock")
    template_pin = pinned_ruff(TEMPLATE / "requirements-dev.txt")
    # then they are the same version (a make lock that moves ruff must move requirements-dev.txt too)
    assert project_pin and project_pin == template_pin
    assert subprocess.run([str(RUFF), "--version"], capture_output=True, text=True).stdout.split() == ["ruff", project_pin]


@settings(max_examples=60, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers=answer_sets())
def test_a_bake_is_refused_cleanly_or_every_file_parses_and_holds_the_answers(answers):
    with tempfile.TemporaryDirectory() as temporary:
        output = Path(temporary)
        try:
            project = bake(output, **answers)
        except FailedHookException as refusal:
            lines = [line for line in str(refusal).splitlines() if line.startswith("ERROR: ")]
            named = {line.split()[1] for line in lines}
            assert lines, str(refusal)
            assert named <= {*answers, "project_slug", "module_name"}, str(refusal)
            assert list(output.iterdir()) == []
            event(f"refused: {', '.join(sorted(named))}")
            return
        event("baked")
        assert_answers_arrived(answers, project, parse_every_file(project))
        assert_lint_clean(project)
