# The README's two commands. Both set up everything on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test fuzz lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)
	scripts/install-dynamodb-local >/dev/null
	@# the gate's bytecode, once: an editable install compiles nothing, and where PYTHONDONTWRITEBYTECODE is set
	@# every scan compiled all of gate/ again (0.2 s of its start, issue 17)
	$(BIN)/python -m compileall -q gate >/dev/null

## make demo: scan the vulnerable example (it must fail the gate: exit 1; exit 2, could not scan,
## fails the demo), then its fixed twin (it must pass: exit 0).
demo: setup
	$(BIN)/authgate scan examples/profiles-fastapi; test $$? -eq 1
	$(BIN)/authgate scan examples/profiles-fastapi-fixed

test: setup
	scripts/install-test-tools
	$(BIN)/python -m pytest

## make fuzz: the config loader fuzzed far longer than `make test` does (only a ConfigError may come out).
fuzz: $(STAMP)
	AUTHGATE_FUZZ_EXAMPLES=20000 $(BIN)/python -m pytest -q tests/test_config_fuzz.py

## make lint: what CI's lint job runs (.github/workflows/ci.yml calls it); no Java or DynamoDB needed.
lint: $(STAMP)
	$(BIN)/ruff check gate tests entrypoint.py bench
	$(BIN)/ruff format --check gate tests entrypoint.py bench
	$(BIN)/hadolint Dockerfile
	$(BIN)/check-jsonschema --builtin-schema vendor.github-actions action.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml examples/workflows/*.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml
	$(BIN)/zizmor --offline -q action.yml .github/workflows .github/dependabot.yml examples/workflows/*.yml

bench: setup
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache authgate-report.json
