# Recourse: the two commands are `make demo` and `make test`; both set up what they need first.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed
FORGE := node_modules/@foundry-rs/forge-linux-amd64/bin/forge
SOLC_WRAPPER := chain/_solcjs/solc

.PHONY: setup demo test test-forge test-python lint bench clean

setup: $(PY_STAMP) $(NPM_STAMP)

$(PY_STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

demo: setup
	$(BIN)/recourse demo

test: setup lint test-forge test-python

test-forge: setup
	$(FORGE) test --offline --use $(SOLC_WRAPPER)

test-python: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(FORGE) fmt --check contracts
	$(FORGE) lint --offline --use $(SOLC_WRAPPER) --deny warnings contracts/access contracts/settlement contracts/evidence contracts/oracles contracts/cases contracts/auctions contracts/assets contracts/disputes contracts/interfaces contracts/libraries

bench: setup
	$(BIN)/python -m bench.compile_bench
	$(BIN)/python -m bench.tx_bench

clean:
	rm -rf build .solcx
