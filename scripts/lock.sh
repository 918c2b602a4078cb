#!/usr/bin/env bash
# Re-pin the generated project's packages: bake the default project, resolve its
# pyproject.toml (with the dev extra) for every supported Python at once, and copy the
# result into the template. Run after changing dependencies; commit the new lock file.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cookiecutter --no-input --output-dir "$work" "$here" >/dev/null
uv pip compile --quiet --universal --python-version 3.11 --extra dev \
  --output-file "$here/{{cookiecutter.project_slug}}/requirements.lock" \
  --custom-compile-command "scripts/lock.sh (in the cookiecutter-cd4ml template)" \
  "$work"/*/pyproject.toml
# uv names the temporary bake in its "via" comments; name the file instead.
sed -i -E 's#[a-z0-9-]+ \([^)]*pyproject.toml\)#pyproject.toml#' "$here/{{cookiecutter.project_slug}}/requirements.lock"
echo "updated {{cookiecutter.project_slug}}/requirements.lock"
