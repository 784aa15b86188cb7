# Two commands for a fresh machine: `make run` (demo clinic on SQLite) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint pytest chromium bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "KetaCare needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/ketacare migrate --noinput
	$(BIN)/ketacare demo
	$(BIN)/ketacare serve --host $(HOST) --port $(PORT)

# Browser tests drive Debian's Chromium; as root on a fresh Debian machine we install it.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "Chromium is needed for browser tests: sudo apt-get install -y chromium" >&2; exit 1; fi; \
	fi

lint: $(VENV)/.test-installed
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

pytest: $(VENV)/.test-installed chromium
	$(BIN)/pytest

test: lint pytest

bench: $(VENV)/.installed
	$(BIN)/python bench/pk/population.py
	$(BIN)/python bench/patients/list_10k.py
	$(BIN)/python bench/analytics/report.py
	$(BIN)/python bench/startup/run.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
