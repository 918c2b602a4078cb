"""Bad answers are refused before anything is written, with the field named and the fix."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TEMPLATE, bake

COOKIECUTTER = [sys.executable, "-m", "cookiecutter", "--no-input"]

BAD_ANSWERS = {  # id: (answers, field the message must name, words of the fix)
    "slug-with-space": ({"project_slug": "my project", "module_name": "ok"}, "project_slug", "lowercase letters"),
    "slug-uppercase": ({"project_slug": "MyProject", "module_name": "ok"}, "project_slug", "lowercase letters"),
    "slug-with-slash": ({"project_slug": "a/b"}, "project_slug", "lowercase letters"),
    "slug-trailing-newline": ({"project_slug": "ok\n", "module_name": "ok"}, "project_slug", "one line"),
    "module-with-dash": ({"module_name": "my-module"}, "module_name", "underscores"),
    "module-keyword": ({"module_name": "class"}, "module_name", "not a valid Python package name"),
    "module-shadows-library": ({"module_name": "xgboost"}, "module_name", "would shadow"),
    "module-shadows-stdlib": ({"module_name": "json"}, "module_name", "would shadow"),
    # Python's own test package, which sys.stdlib_module_names leaves out, from the name "Test"
    "module-shadows-stdlib-test": ({"project_name": "Test"}, "module_name", "would shadow"),
    "module-trailing-newline": ({"module_name": "ok\n"}, "module_name", "one line"),
    "module-too-long": ({"module_name": "m" * 300}, "module_name", "keep it to 64"),
    "runner-tag-with-space": ({"gpu_runner_tag": "big gpu"}, "gpu_runner_tag", "valid runner tag"),
    "runner-tag-trailing-newline": ({"gpu_runner_tag": "gpu\n"}, "gpu_runner_tag", "valid runner tag"),
    "remote-unknown-scheme": ({"dvc_remote_url": "ftp://host/store"}, "dvc_remote_url", "s3://bucket/prefix"),
    "remote-bad-bucket": ({"dvc_remote_url": "s3://UPPER_case/x"}, "dvc_remote_url", "bucket"),
    "remote-newline-moves-cache": ({"dvc_remote_url": "x\n[cache]\n    dir = /elsewhere/evil"}, "dvc_remote_url",
                                   "one line"),
    "remote-newline-sets-endpoint": ({"dvc_remote_url": "x\n    endpointurl = http://evil"}, "dvc_remote_url",
                                     "one line"),
    "remote-s3-one-slash": ({"dvc_remote_url": "s3:/bucket/x"}, "dvc_remote_url", "neither an s3:// URL"),
    "remote-s3-no-colon": ({"dvc_remote_url": "s3//bucket"}, "dvc_remote_url", "neither an s3:// URL"),
    "remote-windows-path": ({"dvc_remote_url": "C:\\Users\\me\\dvc"}, "dvc_remote_url", "neither an s3:// URL"),
    "remote-both-quotes": ({"dvc_remote_url": "/srv/it's \"here\""}, "dvc_remote_url", "quotes"),
    "endpoint-without-s3": ({"s3_endpoint_url": "http://127.0.0.1:9000"}, "s3_endpoint_url", "not an s3:// URL"),
    "endpoint-not-http": ({"dvc_remote_url": "s3://bucket/x", "s3_endpoint_url": "minio:9000"}, "s3_endpoint_url",
                          "http(s) URL"),
    "endpoint-with-credentials": ({"dvc_remote_url": "s3://bucket/x", "s3_endpoint_url": "http://key:secret@minio"},
                                  "s3_endpoint_url", "credentials"),
    "endpoint-newline": ({"dvc_remote_url": "s3://bucket/x", "s3_endpoint_url": "http://h\n[core]"},
                         "s3_endpoint_url", "one line"),
    "remote-filesystem-root": ({"dvc_remote_url": "/"}, "dvc_remote_url", "root of a file system"),
    "remote-root-by-dots": ({"dvc_remote_url": "/srv/../.."}, "dvc_remote_url", "root of a file system"),
    "remote-home-folder": ({"dvc_remote_url": "~"}, "dvc_remote_url", "home folder"),
    "remote-ip-bucket": ({"dvc_remote_url": "s3://192.168.0.1/x"}, "dvc_remote_url", "IP address"),
    "remote-bucket-two-dots": ({"dvc_remote_url": "s3://team..models/x"}, "dvc_remote_url", "two dots"),
    "remote-bucket-reserved-prefix": ({"dvc_remote_url": "s3://xn--models/x"}, "dvc_remote_url", "AWS reserves"),
    # Windows keeps these names for devices: the project's folder (or its package's) would not check out
    "slug-windows-device": ({"project_slug": "con", "module_name": "ok"}, "project_slug", "Windows reserves"),
    "slug-windows-port": ({"project_slug": "lpt9", "module_name": "ok"}, "project_slug", "Windows reserves"),
    "name-windows-device": ({"project_name": "AUX"}, "project_slug", "Windows reserves"),  # module aux: same fix
    "module-windows-device": ({"module_name": "nul"}, "module_name", "Windows reserves"),
    "module-windows-port": ({"module_name": "com1"}, "module_name", "Windows reserves"),
    "blank-name": ({"project_name": " ", "project_slug": "ok"}, "project_name", "non-empty"),
    "empty-name": ({"project_name": ""}, "project_name", "non-empty"),
    "name-too-long": ({"project_name": "word " * 60}, "project_name", "keep it to 100"),
    "newline-in-description": ({"description": "two\nlines"}, "description", "one line"),
    "bell-in-author": ({"author_name": "ding\adong"}, "author_name", "control character"),
    "line-separator-in-description": ({"description": "one\u2028two"}, "description", "one line"),
}
# Tools the generated project runs; a package of the same name would shadow them.
TOOL_NAMES = ["pytest", "ruff", "setuptools", "pip", "cml", "conftest", "uv"]


# Choice answers outside their list are refused by cookiecutter itself, before the hooks run.
BAD_CHOICES = {
    "python-unsupported": ("python_version", "3.9", "['3.11', '3.12', '3.13']"),
    "unknown-model": ("model", "svm", "['xgboost', 'random_forest']"),
    "unknown-ci": ("ci_provider", "jenkins", "['both', 'github', 'gitlab']"),
    "gpu-not-yes-no": ("use_gpu", "maybe", "['no', 'yes']"),
    "unknown-license": ("open_source_license", "GPL", "['MIT', 'Apache-2.0', 'BSD-3-Clause', 'none']"),
}


def hook_errors(output: str) -> list[str]:
    """The lines that refuse an answer (cookiecutter's own log line about the hook is not one)."""
    return [line for line in output.splitlines() if line.startswith("ERROR: ") and "Stopping generation" not in line]


class BakeResult(subprocess.CompletedProcess[str]):
    output: str  # stdout and stderr together


def bake_cli(output_dir: Path, answers: dict) -> BakeResult:
    """cookiecutter's command line, as a user runs it; .output holds stdout and stderr together."""
    arguments = [f"{key}={value}" for key, value in answers.items()]
    result = subprocess.run([*COOKIECUTTER, "--output-dir", str(output_dir), str(TEMPLATE), *arguments],
                            capture_output=True, text=True)
    baked = BakeResult(result.args, result.returncode, result.stdout, result.stderr)
    baked.output = result.stdout + result.stderr
    return baked


@pytest.mark.parametrize(("answers", "field", "fix"), BAD_ANSWERS.values(), ids=BAD_ANSWERS.keys())
def test_bad_answer_is_refused_and_nothing_is_written(tmp_path, answers, field, fix):
    result = bake_cli(tmp_path, answers)
    errors = hook_errors(result.output)
    assert result.returncode != 0
    assert len(errors) == 1, result.output
    assert errors[0].startswith(f"ERROR: {field} ")
    assert fix in errors[0]
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", TOOL_NAMES)
def test_a_module_name_that_shadows_a_tool_is_refused(tmp_path, name):
    result = bake_cli(tmp_path, {"module_name": name})
    assert hook_errors(result.output) == [
        f"ERROR: module_name {name!r} would shadow the package or tool of the same name: choose another name"
    ]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("field", "value", "choices"), BAD_CHOICES.values(), ids=BAD_CHOICES.keys())
def test_answer_outside_the_choices_is_refused_naming_them(tmp_path, field, value, choices):
    result = bake_cli(tmp_path, {field: value})
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        f"ValueError: {value} provided for choice variable {field}, but the choices are {choices}."
    )
    assert list(tmp_path.iterdir()) == []


def test_every_problem_is_reported_at_once(tmp_path):
    result = bake_cli(tmp_path, {"project_slug": "Bad Slug", "module_name": "class", "gpu_runner_tag": "a b"})
    fields = [line.split()[1] for line in hook_errors(result.output)]
    assert fields == ["project_slug", "module_name", "gpu_runner_tag"]
    assert list(tmp_path.iterdir()) == []


def test_an_existing_directory_is_not_removed_by_a_refused_answer(tmp_path):
    # given a project baked earlier
    project = bake(tmp_path)
    (project / "params.yaml").write_text("edited by the user\n")
    before = {path.name: path.read_bytes() for path in project.iterdir() if path.is_file()}
    # when the same slug is baked over it (--overwrite-if-exists) with an answer the hook refuses
    arguments = [*COOKIECUTTER, "--overwrite-if-exists", "--output-dir", str(tmp_path), str(TEMPLATE), "gpu_runner_tag=a b"]
    result = subprocess.run(arguments, capture_output=True, text=True)
    # then it is refused by the hook, and the earlier project is neither removed nor changed
    assert result.returncode != 0
    assert hook_errors(result.stdout + result.stderr)[0].startswith("ERROR: gpu_runner_tag ")
    assert {path.name: path.read_bytes() for path in project.iterdir() if path.is_file()} == before


@pytest.mark.parametrize(
    "answers",
    [
        {"dvc_remote_url": "s3://team-models/music/v1", "s3_endpoint_url": "https://minio.example.com"},
        {"dvc_remote_url": "s3://team.models-2"},
        {"dvc_remote_url": "/mnt/shared/dvc"},
        {"dvc_remote_url": "../storage"},
        {"gpu_runner_tag": "gpu-a100_80gb.v2"},
        {"module_name": "recsys2", "project_slug": "recsys-2"},
        {"project_name": "Console", "module_name": "com10"},  # only the device names themselves are reserved
        {"dvc_remote_url": "s3://10.0.0.1.example/x"},  # dotted digits that are not an IP address
    ],
    ids=["s3-with-endpoint", "s3-dotted-bucket", "absolute-dir", "relative-dir", "runner-tag", "custom-names",
         "near-windows-names", "digits-bucket"],
)
def test_good_answers_are_accepted(tmp_path, answers):
    result = bake_cli(tmp_path, answers)
    assert result.returncode == 0, result.output
    assert len(list(tmp_path.iterdir())) == 1


def test_hooks_import_only_the_standard_library():
    for hook in (TEMPLATE / "hooks").glob("*.py"):
        imported = {line.split()[1].split(".")[0] for line in hook.read_text().splitlines()
                    if line.startswith(("import ", "from "))}
        assert imported <= set(sys.stdlib_module_names), f"{hook.name} imports {imported - set(sys.stdlib_module_names)}"


def test_the_checks_run_before_the_project_folder_exists(tmp_path):
    """cookiecutter creates the project folder before its pre-generation hook runs; the template's
    extension runs the hook's checks when the folder is named, so not even a parent is left."""
    result = bake_cli(tmp_path / "out", {"project_slug": "parent/child"})
    assert result.returncode != 0
    assert not (tmp_path / "out" / "parent").exists()


@pytest.mark.parametrize(
    ("project_name", "slug", "module"),
    [
        ("Music Recommendation", "music-recommendation", "music_recommendation"),
        ('Café "Beats" ML', "cafe-beats-ml", "cafe_beats_ml"),
        ("Señor Fraud/Risk Scoring", "senor-fraud-risk-scoring", "senor_fraud_risk_scoring"),
        ("Churn  --  model_v2", "churn-model-v2", "churn_model_v2"),
        ("Ünïcödé Ärger", "unicode-arger", "unicode_arger"),
        ("a/b", "a-b", "a_b"),
        ("Data & AI", "data-ai", "data_ai"),
        ("Ωmega Model", "omega-model", "omega_model"),
        ("東京 Demand", "dong-jing-demand", "dong_jing_demand"),
        ("Straße-Prognose", "strasse-prognose", "strasse_prognose"),
        ("   Spaced   Out   ", "spaced-out", "spaced_out"),
        ("Crème Brûlée 2.0", "creme-brulee-2-0", "creme_brulee_2_0"),
        ("e-mail spam!!", "e-mail-spam", "e_mail_spam"),
    ],
)
def test_derived_names_are_ascii_and_valid_whatever_the_human_name(tmp_path, project_name, slug, module):
    # given only a human name, as a newcomer types it
    result = bake_cli(tmp_path, {"project_name": project_name})
    # then the folder and the package get plain ASCII names, and the human name stays as typed
    assert result.returncode == 0, result.output
    project = tmp_path / slug
    assert (project / "src" / module / "__init__.py").exists()
    assert (project / "README.md").read_text().splitlines()[0] == f"# {project_name}"


def load_hook():
    spec = importlib.util.spec_from_file_location("pre_gen_project", TEMPLATE / "hooks" / "pre_gen_project.py")
    assert spec and spec.loader
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    return hook


@pytest.mark.parametrize(
    ("name", "reserved"),
    [("CON", True), ("con", True), ("Nul.txt", True), ("com1.tar.gz", True), ("LPT9", True), ("aux ", True),
     ("com10", False), ("console", False), ("icon", False), ("lpt", False), ("null", False)],
)
def test_windows_device_names_are_known_in_any_case_and_with_any_extension(name, reserved):
    assert load_hook().windows_reserved(name) is reserved


# Each location, and whether a remote may point there. make remote refuses relative directories
# (DVC would resolve them from .dvc/), which the hook takes from the project's folder: none here.
LOCATIONS = {
    "s3://team-models/x": True,
    "s3://team.models-2": True,
    "s3://192.168.0.1/x": False,
    "s3://10.0.0.1.example/x": True,
    "s3://team..models/x": False,
    "s3://team.-models/x": True,
    "s3://xn--models/x": False,
    "s3://models-s3alias/x": False,
    "s3://Upper/x": False,
    "s3://ab/x": False,
    "/": False,
    "/srv/..": False,
    "~": False,
    "~/": False,
    "~/dvc-storage": True,
    "/srv/dvc-storage": True,
}


def test_make_remote_and_the_hook_share_the_location_rules(tmp_path):
    # given a baked project's ops/remote.py, which `make remote` runs, and the template's hook
    project = bake(tmp_path)
    script = (
        "import json, sys\n"
        "from music_recommendation.core.dvc_remote import RemoteError\n"
        "from music_recommendation.ops.remote import checked_location\n"
        "verdicts = {}\n"
        "for url in json.load(sys.stdin):\n"
        "    try:\n"
        "        checked_location(url, '')\n"
        "        verdicts[url] = True\n"
        "    except RemoteError:\n"
        "        verdicts[url] = False\n"
        "print(json.dumps(verdicts))\n"
    )
    # when both judge the same locations (remote.py needs only the standard library for this)
    judged = subprocess.run([sys.executable, "-c", script], input=json.dumps(list(LOCATIONS)), capture_output=True,
                            text=True, cwd=project, env={**os.environ, "PYTHONPATH": str(project / "src")})
    assert judged.returncode == 0, judged.stderr
    hook = load_hook()
    by_hook = {url: not list(hook.remote_problems(url, "")) for url in LOCATIONS}
    # then they agree with each other and with the rules
    assert json.loads(judged.stdout) == by_hook == LOCATIONS
