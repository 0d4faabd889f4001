# Two entry points (see README): `make report` and `make test`. Each creates .venv if missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup report test data-status clean-cache

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (egovlib)" >/dev/null
	touch $(STAMP)

setup: $(STAMP)

## Batch report for the latest survey year -> outputs/<year>/index.html
report: $(STAMP)
	$(BIN)/egov data verify
	$(BIN)/egov run

## The whole test suite (real data, notebooks, batch run, browser check)
test: $(STAMP)
	$(BIN)/python -m pytest

data-status: $(STAMP)
	$(BIN)/egov data status

clean-cache:
	rm -rf .cache/egovlib
