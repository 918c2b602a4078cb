"""A baked project as CI finds it: main trained and pushed, ready for pull/merge request branches.

`published_project` bakes the default project, named "CI Check", with its DVC remote on the tests'
moto S3 server, runs `make setup`, `make repro` and `make push` on main, commits the results and
pushes them to a bare git repository on disk, the "origin" that CI clones (through the forge
stand-in that hosts it, tools/forge.py). Branches are made in that working copy and pushed. Built
once per test process, because the CI tests of both providers start from the same main. Its `make
setup` runs in a .venv seeded with the pinned stack (conftest.seed_venv): what is tested here is CI,
whose jobs each run their own `make setup` from scratch; setting this working copy up from scratch
too would only repeat conftest.ready_project. It is baked rather than copied from the session's
reproduced project: it is baked with another name and an S3 remote, which the CI jobs pull from and
push to, and its sample data is smaller.

The CI jobs share caches as a runner's jobs would: this machine's uv cache (`uv_cache_dir`), and
one mypy cache (`PublishedProject.mypy_cache`, given to the jobs as MYPY_CACHE_DIR): the one that
the lint tests keep with the pinned stack between sessions (conftest.mypy_cache_of). mypy still
checks every job's checkout: a file whose content differs from what the cache recorded is checked
again, so a type error is found with a warm cache as with a cold one (test_lint checks that);
only the unchanged files (and the libraries' stubs) are not re-analysed in every pipeline.
"""

import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from conftest import bake, mypy_cache_of, pinned_stack, run, seed_venv

TOOLS = Path(__file__).resolve().parent
TEMPLATE = TOOLS.parents[1]
# What a CI runner holds in its variables. The secret is distinctive so tests can check that no
# log shows it (moto accepts any key pair).
SECRETS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "s3cr3t-never-printed",
    "AWS_DEFAULT_REGION": "us-east-1",
}
# Rows of sample data on main: fewer than the project's default 20,000 keep each training run of
# these tests short. CI_SAMPLE_ROWS=20000 measures the pipelines at the default size.
SAMPLE_ROWS = int(os.environ.get("CI_SAMPLE_ROWS", "6000"))
GIT_IDENTITY = {"GIT_AUTHOR_NAME": "CI test", "GIT_AUTHOR_EMAIL": "ci@example.com",
                "GIT_COMMITTER_NAME": "CI test", "GIT_COMMITTER_EMAIL": "ci@example.com"}


@dataclass
class PublishedProject:
    work: Path    # the developer's working copy, on main
    origin: Path  # the bare repository CI clones from
    bucket: str
    mypy_cache: Path  # MYPY_CACHE_DIR of the CI jobs (see the module's docstring)

    def branch(self, name: str, change: Callable[[Path], object], message: str) -> None:
        """Start `name` from main, apply `change` to the working copy, commit and push it."""
        git = lambda *args: run(["git", *args], cwd=self.work, env=GIT_IDENTITY)  # noqa: E731
        git("checkout", "--quiet", "main")
        git("checkout", "--quiet", "-b", name)
        change(self.work)
        # --renormalize re-reads every tracked file: DVC's autostage rewrites the index after a
        # change made in the same second as the checkout with the file's new stat and old hash, and
        # git then sees an edit of the same size (200 -> 120) as no change.
        git("add", "--renormalize", ".")
        git("commit", "--quiet", "--all", "--message", message)
        git("push", "--quiet", "origin", name)
        git("checkout", "--quiet", "main")

    def push_commit(self, name: str, change: Callable[[Path], None], message: str) -> None:
        """Add a commit that applies `change` to the existing branch `name`, and push it."""
        git = lambda *args: run(["git", *args], cwd=self.work, env=GIT_IDENTITY)  # noqa: E731
        git("checkout", "--quiet", name)
        change(self.work)
        # --renormalize re-reads every tracked file: DVC's autostage rewrites the index after a
        # change made in the same second as the checkout with the file's new stat and old hash, and
        # git then sees an edit of the same size (200 -> 120) as no change.
        git("add", "--renormalize", ".")
        git("commit", "--quiet", "--all", "--message", message)
        git("push", "--quiet", "origin", name)
        git("checkout", "--quiet", "main")


_published: dict[str, PublishedProject] = {}


def published_project(tmp_path_factory, s3_server) -> PublishedProject:
    if s3_server.endpoint in _published:
        return _published[s3_server.endpoint]
    bucket = f"ci-{uuid.uuid4().hex[:10]}"
    s3_server.client().create_bucket(Bucket=bucket)
    root = tmp_path_factory.mktemp("ci")
    # Named "CI Check": its module, ci_check, sorts before conftest, and such names once failed their
    # own make lint (issue 20); the CI jobs' make lint keeps that in view, on GitHub and GitLab.
    project = bake(root, project_name="CI Check", dvc_remote_url=f"s3://{bucket}/music",
                   s3_endpoint_url=s3_server.endpoint)
    # At 6,000 rows the model still clears baseline.txt comfortably (roc_auc about 0.79 against 0.75).
    if SAMPLE_ROWS != 20000:
        edit(project / "params.yaml", "    rows: 20000\n", f"    rows: {SAMPLE_ROWS}\n")
    stack = pinned_stack()
    seed_venv(project, stack)
    for target in ("setup", "repro", "push"):
        run(["make", target], cwd=project, env=SECRETS)
    origin = root / "origin.git"
    run(["git", "init", "--quiet", "--bare", str(origin)], cwd=root)
    for args in (["add", "--all"], ["commit", "--quiet", "--message", "Train the first model"],
                 ["remote", "add", "origin", str(origin)], ["push", "--quiet", "origin", "main"]):
        run(["git", *args], cwd=project, env=GIT_IDENTITY)
    _published[s3_server.endpoint] = PublishedProject(project, origin, bucket, mypy_cache_of(stack))
    return _published[s3_server.endpoint]


def edit(path: Path, old: str, new: str) -> None:
    """Replace the one occurrence of `old` in a file (fails loudly if it is not there exactly once)."""
    text = path.read_text()
    assert text.count(old) == 1, f"{path}: expected one {old!r}"
    path.write_text(text.replace(old, new))


def uv_cache_dir() -> str:
    """The machine's uv cache, which CI jobs reuse as a runner's cache would be."""
    result = subprocess.run(["uv", "cache", "dir"], capture_output=True, text=True, check=True,
                            env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"})
    return result.stdout.strip()
