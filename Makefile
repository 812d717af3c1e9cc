# Two commands for a fresh machine (Python 3.11, make, git, apt):
#   make site   install everything and build site/
#   make test   install everything (incl. Chromium for browser tests) and run the tests
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The Nu Html Checker for the tests (npm package vnu-jar, run with Debian's Java)
VNU_VERSION := 26.9.27
VNU := $(VENV)/vnu/.installed-$(VNU_VERSION)

.PHONY: site test install install-dev system-deps serve check bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

$(VNU): | $(BIN)/python
	npm install --no-save --no-audit --no-fund --ignore-scripts --prefix $(VENV)/vnu vnu-jar@$(VNU_VERSION)
	touch $(VNU)

install: $(STAMP)

install-dev: install system-deps $(VNU)

# Debian packages for the tests (real browser, Nu Html Checker, sqlite3 shell) and the
# Hugo benchmark (skipped when present).
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null \
	    || ! command -v java >/dev/null || ! command -v npm >/dev/null \
	    || ! command -v sqlite3 >/dev/null; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium chromium-driver \
	    default-jre-headless npm sqlite3; \
	fi

# CI (CI=true) also checks every output file by its hash, not only by size and mtime
site: install
	$(BIN)/python -m generator build --strict $(if $(CI),--verify)

test: install-dev
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

serve: install
	$(BIN)/python -m generator serve

check: install
	$(BIN)/python -m generator check

bench: install
	$(BIN)/python bench/build_bench.py

clean:
	rm -rf site .site-* .cache
