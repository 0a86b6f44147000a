# The README's two commands. Both set up everything on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)
	scripts/install-dynamodb-local >/dev/null

## make demo: scan the vulnerable example (exits 1: it is vulnerable), then its fixed twin.
demo: setup
	-$(BIN)/authgate scan examples/profiles-fastapi
	$(BIN)/authgate scan examples/profiles-fastapi-fixed

test: setup
	scripts/install-test-tools
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check gate tests entrypoint.py bench
	$(BIN)/ruff format --check gate tests entrypoint.py bench

bench: setup
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache authgate-report.json
