#!/usr/bin/env bash
# Print the wall time of each quickstart step on the sample data: bake, make setup, the first
# dvc repro (all four stages) and a no-op dvc repro. Figures, not assertions: run it on the
# machine you care about. Usage: scripts/time_quickstart.sh [cookiecutter answers...]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PATH="$here/.venv/bin:$PATH"

step() {  # step NAME COMMAND...: run it, print its wall time
  local name=$1; shift
  local start=$(date +%s%N)
  "$@" >"$work/$name.log" 2>&1 || { cat "$work/$name.log"; exit 1; }
  local tenths=$(( ($(date +%s%N) - start) / 100000000 ))
  printf '%-18s %4d.%d s\n' "$name" $((tenths / 10)) $((tenths % 10))
}

step bake cookiecutter --no-input --output-dir "$work" "$here" "$@"
project=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -1)
cd "$project"
export PATH="$project/.venv/bin:$PATH"  # as an activated environment (or the Makefile) does
step "make setup" make setup
step "dvc repro" .venv/bin/dvc repro
step "dvc repro (no-op)" .venv/bin/dvc repro
grep -q "Running stage" "$work/dvc repro (no-op).log" && echo "warning: the second dvc repro ran a stage" || true
installer=pip
[ -n "${UV-$(command -v uv)}" ] && installer="uv (${UV:-$(command -v uv)})"
echo "(make setup installed with $installer; $(nproc) cores; UV= forces pip)"
