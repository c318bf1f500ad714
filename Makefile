# OneMap: two commands on a fresh Debian machine with Python >= 3.11.
#   make demo   set up (Python deps; Pango and a CJK font for PDF reports: reportdeps), build the
#               demo store (data/jjj.duckdb) if missing or stale, serve the app at
#               http://127.0.0.1:8050/ (ONEMAP_HOST / ONEMAP_PORT change it; works offline)
#   make test   set up, install the Debian packages the browser tests need (sysdeps), run every test
#   make bench  benchmarks (not part of make test); results in tests/bench/RESULTS.md
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DB := data/jjj.duckdb
REGION := geodata/regions/jjj.toml
DEMO_SOURCES := $(REGION) $(wildcard geodata/jjj/*) $(wildcard geodata/jjj/industry/*) $(wildcard etl/*.py)
# Debian packages for PDF reports (WeasyPrint typesets with Pango; a CJK font for Chinese) and,
# for the tests, headless Chromium driven by Playwright (never its own browser download) and
# poppler's pdftotext/pdftoppm to read reports back
REPORT_SYSDEPS := fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0
SYSDEPS := $(REPORT_SYSDEPS) chromium chromium-driver poppler-utils

.PHONY: setup sysdeps reportdeps demo test bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 is needed"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

# installs the missing $(SYSDEPS) (apt-get update once, then install); a no-op when all are there
sysdeps:
	@missing=$$(for p in $(SYSDEPS); do \
		dpkg-query -W -f='$${db:Status-Status}\n' $$p 2>/dev/null | grep -qx installed || echo $$p; \
	done); missing=$$(echo $$missing); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null; then \
		echo "make sysdeps: apt-get not found; install these Debian packages: $$missing" >&2; \
		exit 1; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=; \
	elif command -v sudo >/dev/null; then sudo=sudo; \
	else echo "make sysdeps: not root and no sudo; as root, apt-get install $$missing" >&2; \
		exit 1; fi; \
	echo "make sysdeps: installing $$missing"; \
	$$sudo apt-get update -q && \
	$$sudo env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends $$missing \
	|| { echo "make sysdeps: failed to install the Debian packages: $$missing" >&2; exit 1; }

# only what the app needs to print reports (make demo)
reportdeps:
	@$(MAKE) --no-print-directory sysdeps SYSDEPS="$(REPORT_SYSDEPS)"

$(DB): $(STAMP) $(DEMO_SOURCES)
	$(VENV)/bin/onemap build $(REGION) --db $(DB)

# builds the store when it is missing or older than its sources (the build prints a summary),
# else prints the summary of the existing one; then serves the app (Ctrl+C stops it)
demo: setup reportdeps
	@if $(MAKE) --no-print-directory -q $(DB); then $(VENV)/bin/onemap info $(DB); \
	else $(MAKE) --no-print-directory $(DB); fi
	$(VENV)/bin/onemap serve --db $(DB)

test: setup sysdeps
	env -u ONEMAP_TEST_DEMO_DB $(PY) -m pytest -q

# the demo store $(DB) is built (or rebuilt when stale) first: bench_siting and bench_report read
# it; bench_map/bench_load use the store at $ONEMAP_DB_PATH if set, else $(DB)
bench: setup reportdeps $(DB)
	$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) tests/bench/bench_h3stats.py
	$(PY) tests/bench/bench_memory.py
	$(PY) tests/bench/bench_build_memory.py
	$(PY) tests/bench/bench_h3stats_memory.py
	$(PY) tests/bench/bench_vector.py
	$(PY) tests/bench/bench_access.py
	$(PY) tests/bench/bench_siting.py
	$(PY) tests/bench/bench_report.py
	$(PY) tests/bench/bench_supply.py
	$(PY) tests/bench/bench_industry.py
	$(PY) tests/bench/bench_map.py
	$(PY) tests/bench/bench_load.py
	$(PY) tests/bench/bench_scale.py
	$(PY) tests/bench/bench_latency.py
	$(PY) tests/bench/bench_heavy.py

clean:
	rm -rf data test-output .pytest_cache
