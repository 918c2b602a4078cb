"""Bad answers are refused before anything is written, with the field named and the fix."""

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TEMPLATE, bake

COOKIECUTTER = [sys.executable, "-m", "cookiecutter", "--no-input"]

BAD_ANSWERS = {  # id: (answers, field the message must name, words of the fix)
    "slug-with-space": ({"project_slug": "my project", "module_name": "ok"}, "project_slug", "lowercase letters"),
    "slug-uppercase": ({"project_slug": "MyProject", "module_name": "ok"}, "project_slug", "lowercase letters"),
    "module-with-dash": ({"module_name": "my-module"}, "module_name", "underscores"),
    "module-keyword": ({"module_name": "class"}, "module_name", "not a valid Python package name"),
    "module-shadows-library": ({"module_name": "xgboost"}, "module_name", "would shadow"),
    "module-shadows-stdlib": ({"module_name": "json"}, "module_name", "would shadow"),
    "runner-tag-with-space": ({"gpu_runner_tag": "big gpu"}, "gpu_runner_tag", "valid runner tag"),
    "remote-unknown-scheme": ({"dvc_remote_url": "ftp://host/store"}, "dvc_remote_url", "s3://bucket/prefix"),
    "remote-bad-bucket": ({"dvc_remote_url": "s3://UPPER_case/x"}, "dvc_remote_url", "bucket"),
    "endpoint-without-s3": ({"s3_endpoint_url": "http://127.0.0.1:9000"}, "s3_endpoint_url", "not an s3:// URL"),
    "endpoint-not-http": ({"dvc_remote_url": "s3://bucket/x", "s3_endpoint_url": "minio:9000"}, "s3_endpoint_url",
                          "http(s) URL"),
    "endpoint-with-credentials": ({"dvc_remote_url": "s3://bucket/x", "s3_endpoint_url": "http://key:secret@minio"},
                                  "s3_endpoint_url", "credentials"),
    "empty-name": ({"project_name": " ", "project_slug": "ok"}, "project_name", "non-empty"),
    "newline-in-description": ({"description": "two\nlines"}, "description", "one line"),
}


# Choice answers outside their list are refused by cookiecutter itself, before the hooks run.
BAD_CHOICES = {
    "python-unsupported": ("python_version", "3.9", "['3.11', '3.12', '3.13']"),
    "unknown-model": ("model", "svm", "['xgboost', 'random_forest']"),
    "unknown-ci": ("ci_provider", "jenkins", "['both', 'github', 'gitlab']"),
    "gpu-not-yes-no": ("use_gpu", "maybe", "['no', 'yes']"),
    "unknown-license": ("open_source_license", "GPL", "['MIT', 'Apache-2.0', 'BSD-3-Clause', 'none']"),
}


def hook_errors(stderr: str) -> list[str]:
    """The hook's own lines (cookiecutter adds an 'ERROR: Stopping generation ...' of its own)."""
    return [line for line in stderr.splitlines() if line.startswith("ERROR: ") and "Stopping generation" not in line]


def bake_cli(output_dir: Path, answers: dict) -> subprocess.CompletedProcess:
    arguments = [f"{key}={value}" for key, value in answers.items()]
    return subprocess.run([*COOKIECUTTER, "--output-dir", str(output_dir), str(TEMPLATE), *arguments],
                          capture_output=True, text=True)


@pytest.mark.parametrize(("answers", "field", "fix"), BAD_ANSWERS.values(), ids=BAD_ANSWERS.keys())
def test_bad_answer_is_refused_and_nothing_is_written(tmp_path, answers, field, fix):
    result = bake_cli(tmp_path, answers)
    errors = hook_errors(result.stderr)
    assert result.returncode != 0
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"ERROR: {field} ")
    assert fix in errors[0]
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
    fields = [line.split()[1] for line in hook_errors(result.stderr)]
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
    assert hook_errors(result.stderr)[0].startswith("ERROR: gpu_runner_tag ")
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
    ],
    ids=["s3-with-endpoint", "s3-dotted-bucket", "absolute-dir", "relative-dir", "runner-tag", "custom-names"],
)
def test_good_answers_are_accepted(tmp_path, answers):
    result = bake_cli(tmp_path, answers)
    assert result.returncode == 0, result.stderr
    assert len(list(tmp_path.iterdir())) == 1


def test_hooks_import_only_the_standard_library():
    for hook in (TEMPLATE / "hooks").glob("*.py"):
        imported = {line.split()[1].split(".")[0] for line in hook.read_text().splitlines()
                    if line.startswith(("import ", "from "))}
        assert imported <= set(sys.stdlib_module_names), f"{hook.name} imports {imported - set(sys.stdlib_module_names)}"
