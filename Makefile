# Two entry points (see README): `make report` and `make test`. Each creates .venv if missing,
# with exactly the versions pinned in requirements.lock (see docs/reproducibility.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements.lock
# .installed-<hash of the lock>: the locked packages (a lock with other content, after a pull
# or a checkout, rebuilds .venv; the same content with a new file time does not).
# .editable: egovlib itself (re-done when pyproject.toml or the version in __init__.py changes).
LOCK_HASH := $(shell (sha256sum $(LOCK) 2>/dev/null || shasum -a 256 $(LOCK)) | cut -c1-16)
STAMP := $(VENV)/.installed-$(LOCK_HASH)
EDITABLE := $(VENV)/.editable
# `make lock` resolves for this target, whatever machine runs it (tools/lockfile.py checks it).
LOCK_TARGET := --python-version 3.11 --python-platform x86_64-manylinux_2_28
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --extra test --extra dev --generate-hashes \
	$(LOCK_TARGET) --custom-compile-command "make lock" --quiet --output-file $(LOCK)

.PHONY: setup report test test-unit test-integration lock lock-upgrade check-lock lint lint-all \
	notebooks-fix git-filter \
	hooks data-status clean-cache

# A new lock rebuilds the environment from scratch: `pip install -r` alone would keep packages
# the lock no longer lists. --no-deps: the lock is complete; `pip check` proves it is consistent.
$(STAMP): | $(LOCK)
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; v == (3, 11) or print( \
	  f"warning: $(LOCK) is resolved for Python 3.11; $(PYTHON) is {v[0]}.{v[1]}", file=sys.stderr)'
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	touch $(STAMP)

$(EDITABLE): $(STAMP) pyproject.toml egovlib/__init__.py
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (egovlib)" >/dev/null
	touch $(EDITABLE)

## The environment, plus the notebook output filter for git (see docs/development.md)
setup: $(EDITABLE) git-filter

## Batch report for the latest survey year -> outputs/<year>/index.html
report: $(EDITABLE)
	$(BIN)/egov data verify
	$(BIN)/egov run

## The whole test suite: the unit tests (no data), then the integration tests (real data,
## notebooks, batch run, browser check). tests/conftest.py sets the `integration` marker.
test: $(EDITABLE) test-unit test-integration

## Unit tests, with the data folder and the cache pointed at empty folders: proof that they
## need no data mirror (they run in seconds)
test-unit: $(EDITABLE)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && mkdir "$$tmp/raw" "$$tmp/cache" && \
	  echo "unit tests: EGOV_DATA_DIR=$$tmp/raw (empty), EGOV_CACHE_DIR=$$tmp/cache (empty)" && \
	  EGOV_DATA_DIR="$$tmp/raw" EGOV_CACHE_DIR="$$tmp/cache" \
	  $(BIN)/python -m pytest -m "not integration" -p no:cacheprovider

test-integration: $(EDITABLE)
	$(BIN)/python -m pytest -m integration

## Re-resolve requirements.lock after a change to pyproject.toml's dependencies (keeps every
## other pin as it is); `make lock-upgrade` moves every package to its newest allowed version.
lock: $(EDITABLE)
	$(UV_COMPILE)
	$(BIN)/python tools/lockfile.py conda
	$(BIN)/python tools/lockfile.py check

lock-upgrade: $(EDITABLE)
	$(UV_COMPILE) --upgrade
	$(BIN)/python tools/lockfile.py conda
	$(BIN)/python tools/lockfile.py check

check-lock: $(EDITABLE)
	$(BIN)/python tools/lockfile.py check

## The house rules, as CI (.ci/run) enforces them: ruff (lint, numpy docstrings, complexity)
## and ruff format over the whole tree, notebooks included; mypy on egovlib/; notebooks in the
## form JupyterLab saves them; the lock matches pyproject.toml. See docs/development.md.
lint: lint-all

lint-all: $(EDITABLE)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python tools/notebook_hygiene.py notebooks/*.ipynb
	$(BIN)/python tools/lockfile.py check

## Rewrite the notebooks in the form JupyterLab saves (metadata, no outputs, `# fmt: off`)
notebooks-fix: $(EDITABLE)
	$(BIN)/python tools/notebook_hygiene.py --fix notebooks/*.ipynb

## nbstripout as a git filter for *.ipynb (.gitattributes): outputs never reach a commit. Git
## config is not cloned, hence this step. tools/nbstripout-filter runs the .venv's nbstripout of
## the work tree git runs it in (so each clone or worktree uses its own .venv).
git-filter:
	@if git rev-parse --git-dir >/dev/null 2>&1; then \
	  git config filter.nbstripout.clean tools/nbstripout-filter && \
	  git config filter.nbstripout.smudge cat && \
	  git config diff.ipynb.textconv "tools/nbstripout-filter -t" && \
	  echo "git: notebooks (*.ipynb) are stripped of outputs when staged (filter nbstripout)"; \
	fi

## Opt-in: run .pre-commit-config.yaml on every commit. Git hooks are shared by all worktrees
## of a repository (the hook then runs in each worktree with that worktree's .venv).
hooks: $(EDITABLE)
	$(BIN)/pre-commit install

data-status: $(EDITABLE)
	$(BIN)/egov data status

clean-cache:
	rm -rf .cache/egovlib
