# OneMap: two commands on a fresh Debian machine with Python >= 3.11.
#   make demo   set up, build the demo store (data/jjj.duckdb) and print its summary
#   make test   set up and run every test
#   make bench  benchmarks (not part of make test); results in tests/bench/RESULTS.md
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DB := data/jjj.duckdb
REGION := geodata/regions/jjj.toml
DEMO_SOURCES := $(REGION) $(wildcard geodata/jjj/*) $(wildcard etl/*.py)

.PHONY: setup demo test bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 is needed"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

$(DB): $(STAMP) $(DEMO_SOURCES)
	$(VENV)/bin/onemap build $(REGION) --db $(DB)

# builds the store when it is missing or older than its sources (the build prints a summary),
# else prints the summary of the existing one
demo: setup
	@if $(MAKE) --no-print-directory -q $(DB); then $(VENV)/bin/onemap info $(DB); \
	else $(MAKE) --no-print-directory $(DB); fi

test: setup
	$(PY) -m pytest -q

bench: setup
	$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) tests/bench/bench_h3stats.py
	$(PY) tests/bench/bench_memory.py

clean:
	rm -rf data test-output .pytest_cache
