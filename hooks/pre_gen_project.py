"""Refuse bad answers before cookiecutter writes anything.

Runs inside the environment that runs cookiecutter (often `pipx run cookiecutter` or
`uvx cookiecutter`), so it imports only the standard library. Each problem is reported on
one line that names the field and says how to fix it; cookiecutter then removes the
directory it was about to fill.
"""

import json
import keyword
import re
import sys

# Rendered by cookiecutter; the raw string keeps this file valid Python before rendering.
ANSWERS = json.loads(r"""{{ cookiecutter | jsonify }}""")

SUPPORTED_PYTHONS = ("3.11", "3.12", "3.13")
CHOICES = {
    "python_version": SUPPORTED_PYTHONS,
    "model": ("xgboost", "random_forest"),
    "ci_provider": ("both", "github", "gitlab"),
    "use_gpu": ("no", "yes"),
    "open_source_license": ("MIT", "Apache-2.0", "BSD-3-Clause", "none"),
}
# Names the generated package must not shadow: they are imported by the pipeline itself.
TAKEN_MODULE_NAMES = {"dvc", "xgboost", "sklearn", "pandas", "numpy", "pyarrow", "matplotlib", "yaml", "joblib", "tests"}

SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
MODULE = re.compile(r"^[a-z][a-z0-9_]*$")
RUNNER_TAG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
S3_URL = re.compile(r"^s3://(?P<bucket>[^/]+)(/[^\s]*)?$")
S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
ENDPOINT = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\s]*)?$")


def problems(answers):
    """Yield one message per bad answer, each naming the field and the fix."""
    for field in ("project_name", "description", "author_name"):
        value = answers[field]
        if not value.strip():
            yield f"{field} is empty: give a non-empty value"
        elif any(ord(char) < 32 for char in value):
            yield f"{field} contains a line break or control character: keep it on one line"

    slug = answers["project_slug"]
    if not SLUG.match(slug):
        yield (
            f"project_slug {slug!r} is not a valid repository name: use lowercase letters, "
            "digits and single dashes, starting with a letter (e.g. music-recommendation)"
        )

    module = answers["module_name"]
    if not MODULE.match(module) or keyword.iskeyword(module):
        yield (
            f"module_name {module!r} is not a valid Python package name: use lowercase letters, "
            "digits and underscores, starting with a letter (e.g. music_recommendation)"
        )
    elif module in TAKEN_MODULE_NAMES or module in sys.stdlib_module_names:
        yield f"module_name {module!r} would shadow the library of the same name: choose another name"

    for field, allowed in CHOICES.items():
        if answers[field] not in allowed:
            yield f"{field} {answers[field]!r} is not supported: choose one of {', '.join(allowed)}"

    tag = answers["gpu_runner_tag"]
    if not RUNNER_TAG.match(tag):
        yield (
            f"gpu_runner_tag {tag!r} is not a valid runner tag: use letters, digits, '.', '_' "
            "or '-' (at most 63 characters), e.g. gpu"
        )

    remote = answers["dvc_remote_url"].strip()
    endpoint = answers["s3_endpoint_url"].strip()
    is_s3 = remote.startswith("s3://")
    if is_s3:
        match = S3_URL.match(remote)
        if not match or not S3_BUCKET.match(match["bucket"]):
            yield (
                f"dvc_remote_url {remote!r} is not a valid S3 URL: use s3://bucket/prefix with a bucket "
                "name of 3-63 lowercase letters, digits, dots or dashes"
            )
    elif URL_SCHEME.match(remote):
        scheme = remote.split("://", 1)[0]
        yield (
            f"dvc_remote_url scheme {scheme!r} is not supported: use s3://bucket/prefix (AWS or any "
            "S3-compatible store), a local directory, or leave it empty for a folder beside the project"
        )
    if endpoint:
        if not is_s3:
            yield "s3_endpoint_url is set but dvc_remote_url is not an s3:// URL: set both, or leave s3_endpoint_url empty"
        elif "@" in endpoint:
            yield "s3_endpoint_url must not contain credentials: put them in the environment (AWS_ACCESS_KEY_ID)"
        elif not ENDPOINT.match(endpoint):
            yield (
                f"s3_endpoint_url {endpoint!r} is not an http(s) URL: use e.g. http://127.0.0.1:9000 "
                "or https://minio.example.com"
            )


def main():
    found = list(problems(ANSWERS))
    for message in found:
        print(f"ERROR: {message}", file=sys.stderr)
    if found:
        print("Nothing was generated. Run cookiecutter again with corrected answers.", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
