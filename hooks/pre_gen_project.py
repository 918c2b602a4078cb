"""Refuse bad answers before cookiecutter writes anything.

Runs inside the environment that runs cookiecutter (often `pipx run cookiecutter` or
`uvx cookiecutter`), so it imports only the standard library. Each problem is reported on
one line that names the field and says how to fix it.

The same `problems()` run twice: first from local_extensions.py, just before cookiecutter
creates the project's folder (so a refusal leaves nothing, not even a parent folder, and
cookiecutter prints no traceback), then here as cookiecutter's own pre-generation hook, for
tools that bake without the template's extensions.
"""

import json
import keyword
import os
import posixpath
import re
import sys
import unicodedata


SUPPORTED_PYTHONS = ("3.11", "3.12", "3.13")
CHOICES = {
    "python_version": SUPPORTED_PYTHONS,
    "model": ("xgboost", "random_forest"),
    "ci_provider": ("both", "github", "gitlab"),
    "use_gpu": ("no", "yes"),
    "open_source_license": ("MIT", "Apache-2.0", "BSD-3-Clause", "none"),
}
# Names the generated package must not shadow: everything requirements.lock installs (by import
# name; tests/test_pipeline.py checks this list against a real environment), the tools the
# project runs, the folders of the project itself, and `test` (Python's own test package, which
# sys.stdlib_module_names leaves out but which is found before the project's: "Test" as a name).
TAKEN_MODULE_NAMES = frozenset("""
    aiobotocore aiohappyeyeballs aiohttp aiohttp_retry aioitertools aiosignal amqp annotated_types antlr4
    appdirs asyncssh attr attrs billiard botocore celery certifi cffi charset_normalizer click
    click_didyoumean click_plugins click_repl cloudpickle colorama configobj contourpy cryptography cycler
    dateutil dictdiffer diskcache distro dotenv dpath dulwich dvc dvc_data dvc_http dvc_objects dvc_render
    dvc_s3 dvc_studio_client dvc_task entrypoints filelock flatten_dict flufl fonttools frozenlist fsspec
    funcy git gitdb grandalf gto hydra idna iniconfig iterative_telemetry jmespath joblib kiwisolver kombu
    markdown_it matplotlib mdurl mpl_toolkits multidict narwhals networkx numpy omegaconf orjson packaging
    pandas pathspec pil platformdirs pluggy prompt_toolkit propcache psutil public py pyarrow pycparser
    pydantic pydantic_core pydantic_settings pydevd_plugins pydot pygit2 pygments pygtrie pylab pyparsing
    pytest requests rich ruamel ruff s3fs scipy scmrepo semver setuptools shortuuid shtab six sklearn smmap
    sqltrie tabulate threadpoolctl tomlkit tqdm typing_extensions typing_inspection tzlocal urllib3
    validate vine voluptuous wcwidth wrapt xgboost yaml yarl zc nvidia pynvml example
    pip uv wheel pkg_resources cml conftest mypy pre_commit hypothesis dask distributed dvclive cruft
    annotated_doc arrow ast_serialize binaryornot cfgv cookiecutter distlib identify jinja2 librt markupsafe
    mypy_extensions mypyc nodeenv pre_commit_hooks python_discovery shellingham slugify text_unidecode typer
    tzdata virtualenv
    importlib_metadata lazy_importer locket msgpack partd sortedcontainers tblib tlz toolz tornado zict zipp
    anyio fastapi h11 httpcore2 httpx2 opentelemetry starlette truststore uvicorn grimp importlinter
    tests src sitecustomize usercustomize test
""".split())
MAX_LENGTH = {"project_name": 100, "description": 300, "author_name": 100, "project_slug": 64, "module_name": 64,
              "dvc_remote_url": 1024, "s3_endpoint_url": 1024}

# Names Windows keeps for devices, whatever their case or extension ("con", "Nul.txt", "com1"): a
# folder or file so named cannot be checked out there, so a clone of the project would fail.
WINDOWS_RESERVED = frozenset(["con", "prn", "aux", "nul", *(f"com{n}" for n in range(1, 10)),
                              *(f"lpt{n}" for n in range(1, 10))])

# Every pattern is used with fullmatch: `$` would also accept a trailing line break.
SLUG = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
MODULE = re.compile(r"[a-z][a-z0-9_]*")
RUNNER_TAG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
S3_URL = re.compile(r"s3://(?P<bucket>[^/\s]+)(/\S*)?")
# AWS's bucket naming rules (docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html),
# which MinIO and Ceph follow too. The generated project's ops/remote.py applies the same ones to
# `make remote` (the template's tests/test_hooks.py checks that both agree).
S3_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
IP_ADDRESS = re.compile(r"[0-9]+(\.[0-9]+){3}")
RESERVED_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
RESERVED_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://.*", re.DOTALL)
# What a directory answer must not look like: another scheme or a drive letter ("s3:/x",
# "C:\dvc"), an s3:// URL with a slash or colon lost ("s3//bucket", "s3:bucket"), or a URL
# with a look-alike scheme ("s3 ://", a fullwidth colon): no path needs "//".
NOT_A_DIRECTORY = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*:|s3/).*|.*\\.*|.*//.*", re.DOTALL)
ENDPOINT = re.compile(r"https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:(?P<port>[0-9]{1,5}))?(/\S*)?")


def unprintable(value):
    """The first character that no destination file can hold as typed, or None.

    Line breaks and other control characters, Unicode line/paragraph separators, the byte-order
    mark and lone surrogates (undecodable bytes on the command line) end or corrupt a line in
    YAML, TOML, INI and Makefiles alike.
    """
    for char in value:
        if unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") or char == "\ufeff":
            return char
    return None


def windows_reserved(name):
    """Whether Windows refuses `name` as a file or folder name: CON, nul.txt, Com1 (devices)."""
    return name.split(".")[0].rstrip(" ").lower() in WINDOWS_RESERVED


def bucket_problem(bucket):
    """What breaks AWS's naming rules in an S3 bucket name, or None."""
    if not S3_BUCKET.fullmatch(bucket):
        return "3-63 lowercase letters, digits, dots or dashes, starting and ending with a letter or digit"
    if ".." in bucket:
        return "no two dots in a row"
    if IP_ADDRESS.fullmatch(bucket):
        return f"not formatted as an IP address, as {bucket!r} is"
    if bucket.startswith(RESERVED_BUCKET_PREFIXES) or bucket.endswith(RESERVED_BUCKET_SUFFIXES):
        return f"none of the prefixes {', '.join(RESERVED_BUCKET_PREFIXES)} or suffixes AWS reserves"
    return None


def filesystem_root(path):
    """Whether a directory answer is a file system's root ("/", "/..", "//") or a home folder ("~"):
    DVC would scatter its files/ and tmp/ folders among everything else there."""
    normal = posixpath.normpath(path.strip()) if path.strip() else ""
    return normal in ("/", "//") or bool(re.fullmatch(r"~[^/]*", normal))


def problems(answers):
    """Yield one message per bad answer, each naming the field and the fix."""
    for field, limit in MAX_LENGTH.items():
        value = answers[field]
        char = unprintable(value)
        if char is not None:
            yield f"{field} contains a line break or control character ({char!r}): keep it on one line of text"
        elif len(value) > limit:
            yield f"{field} is {len(value)} characters long: keep it to {limit}"
    for field in ("project_name", "description", "author_name"):
        if not answers[field].strip():
            yield f"{field} is empty: give a non-empty value"

    slug = answers["project_slug"]
    slug_is_bad = bool(unprintable(slug)) or len(slug) > MAX_LENGTH["project_slug"] or not SLUG.fullmatch(slug)
    if slug_is_bad and not unprintable(slug) and (slug or answers["project_name"].strip()):
        yield (
            f"project_slug {slug!r} is not a valid repository name: use lowercase letters, "
            "digits and single dashes, starting with a letter (e.g. music-recommendation)"
        )
    elif windows_reserved(slug):
        slug_is_bad = True
        yield (
            f"project_slug {slug!r} is a name Windows reserves for a device (CON, PRN, AUX, NUL, COM1-9, "
            "LPT1-9, in any case): a folder of that name cannot be checked out there; choose another name"
        )

    module = answers["module_name"]
    if unprintable(module) or len(module) > MAX_LENGTH["module_name"]:
        pass  # reported above
    elif slug_is_bad and module == slug.replace("-", "_"):
        pass  # derived from the slug: fixing the slug fixes it
    elif not MODULE.fullmatch(module) or keyword.iskeyword(module):
        yield (
            f"module_name {module!r} is not a valid Python package name: use lowercase letters, "
            "digits and underscores, starting with a letter (e.g. music_recommendation)"
        )
    elif module in TAKEN_MODULE_NAMES or module in sys.stdlib_module_names:
        yield f"module_name {module!r} would shadow the package or tool of the same name: choose another name"
    elif windows_reserved(module):
        yield (
            f"module_name {module!r} is a name Windows reserves for a device (CON, PRN, AUX, NUL, COM1-9, "
            f"LPT1-9, in any case): its folder src/{module} cannot be checked out there; choose another name"
        )

    for field, allowed in CHOICES.items():
        if answers[field] not in allowed:
            yield f"{field} {answers[field]!r} is not supported: choose one of {', '.join(allowed)}"

    tag = answers["gpu_runner_tag"]
    if not RUNNER_TAG.fullmatch(tag):
        yield (
            f"gpu_runner_tag {tag!r} is not a valid runner tag: use letters, digits, '.', '_' "
            "or '-' (at most 63 characters), e.g. gpu"
        )

    yield from remote_problems(answers["dvc_remote_url"].strip(), answers["s3_endpoint_url"].strip())


def remote_problems(remote, endpoint):
    if unprintable(remote) or unprintable(endpoint):
        return  # reported with the other free-text fields
    is_s3 = remote.startswith("s3://")
    if is_s3:
        match = S3_URL.fullmatch(remote)
        broken_rule = bucket_problem(match["bucket"]) if match else None
        if not match:
            yield (
                f"dvc_remote_url {remote!r} is not a valid S3 URL: use s3://bucket/prefix with a bucket "
                "name of 3-63 lowercase letters, digits, dots or dashes, and no spaces"
            )
        elif broken_rule:
            yield (
                f"dvc_remote_url {remote!r} is not a valid S3 URL: use s3://bucket/prefix with a bucket "
                f"name that follows AWS's naming rules: {broken_rule}"
            )
    elif URL_SCHEME.fullmatch(remote):
        scheme = remote.split("://", 1)[0]
        yield (
            f"dvc_remote_url scheme {scheme!r} is not supported: use s3://bucket/prefix (AWS or any "
            "S3-compatible store), a local directory, or leave it empty for a folder beside the project"
        )
    elif NOT_A_DIRECTORY.fullmatch(remote):
        yield (
            f"dvc_remote_url {remote!r} is neither an s3:// URL nor a directory path of this system: "
            "use s3://bucket/prefix, a POSIX path such as /srv/dvc-storage or ../storage, or leave it empty"
        )
    elif filesystem_root(remote):
        yield (
            f"dvc_remote_url {remote!r} is the root of a file system or a home folder: DVC would write its "
            "folders among everything else there; give a directory of its own, e.g. /srv/dvc-storage"
        )
    elif remote and not remote.startswith(("/", "~")) and not os.path.normpath(remote).startswith(".."):
        yield (
            f"dvc_remote_url {remote!r} is inside the project (a relative path is taken from the project's "
            "folder): the remote must be outside the repository, e.g. ../storage or an absolute path"
        )
    if '"' in remote and "'" in remote:
        yield "dvc_remote_url holds both ' and \" quotes, which .dvc/config cannot store: use one kind at most"
    if endpoint:
        if not is_s3:
            yield "s3_endpoint_url is set but dvc_remote_url is not an s3:// URL: set both, or leave s3_endpoint_url empty"
        elif "@" in endpoint:
            yield "s3_endpoint_url must not contain credentials: put them in the environment (AWS_ACCESS_KEY_ID)"
        elif not (match := ENDPOINT.fullmatch(endpoint)) or '"' in endpoint or int(match["port"] or 0) > 65535:
            yield (
                f"s3_endpoint_url {endpoint!r} is not an http(s) URL: use e.g. http://127.0.0.1:9000 "
                "or https://minio.example.com"
            )


def main():
    # Rendered by cookiecutter; the raw string keeps this file valid Python (and importable by
    # local_extensions.py, which runs the same checks earlier) before rendering.
    answers = json.loads(r"""{{ cookiecutter | jsonify }}""")
    found = list(problems(answers))
    for message in found:
        print(f"ERROR: {message}", file=sys.stderr)
    if found:
        print("Nothing was generated. Run cookiecutter again with corrected answers.", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
