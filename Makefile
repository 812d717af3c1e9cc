# Two commands for a fresh machine (Python 3.11, make, git, apt):
#   make site   install everything and build site/
#   make test   install everything (incl. Chromium for browser tests) and run the tests
# Python packages come pinned from requirements/lock.txt (`make lock` updates it).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The Nu Html Checker for the tests (npm package vnu-jar, run with Debian's Java)
VNU_VERSION := 26.9.27
VNU := $(VENV)/vnu/.installed-$(VNU_VERSION)

.PHONY: site test lint install install-dev system-deps lock serve check bench bench-scale clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): pyproject.toml requirements/lock.txt | $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements/lock.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

# Pin every dependency (and the dev tools) again at their newest versions.
lock: | $(BIN)/python
	$(BIN)/pip install -q pip-tools
	$(BIN)/pip-compile --quiet --upgrade --extra dev --strip-extras --no-emit-index-url \
	  --no-emit-find-links --output-file requirements/lock.txt pyproject.toml

$(VNU): | $(BIN)/python
	npm install --no-save --no-audit --no-fund --ignore-scripts --prefix $(VENV)/vnu vnu-jar@$(VNU_VERSION)
	touch $(VNU)

install: $(STAMP)

install-dev: install system-deps $(VNU)

# Debian packages for the tests (real browser, Nu Html Checker, sqlite3 shell), only those
# missing. A browser named by $CHROMIUM / $CHROMEDRIVER (CI: the runner's Chrome) counts.
system-deps:
	@pkgs=""; \
	command -v $${CHROMIUM:-chromium} >/dev/null || pkgs="$$pkgs chromium"; \
	command -v $${CHROMEDRIVER:-chromedriver} >/dev/null || pkgs="$$pkgs chromium-driver"; \
	command -v java >/dev/null || pkgs="$$pkgs default-jre-headless"; \
	command -v npm >/dev/null || pkgs="$$pkgs npm"; \
	command -v sqlite3 >/dev/null || pkgs="$$pkgs sqlite3"; \
	if [ -n "$$pkgs" ]; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$pkgs; \
	fi

# CI (CI=true) also checks every output file by its hash, not only by size and mtime
site: install
	$(BIN)/python -m generator build --strict $(if $(CI),--verify)

# Lint and format check (ruff), then the tests.
lint: install
	$(BIN)/ruff check generator tests bench
	$(BIN)/ruff format --check generator tests bench

# The tests' temporary files go to .pytest-tmp/ (emptied when the next run starts), not to
# /tmp/pytest-of-$USER/, where pytest removes the oldest of its last runs when it ends: on a
# machine that ran the suite before that is one earlier run's 60,000-file sites, 1-2 minutes
test: install-dev lint
	$(BIN)/python -m pytest -q -n 2 --dist loadfile --basetemp=.pytest-tmp

serve: install
	$(BIN)/python -m generator serve

check: install
	$(BIN)/python -m generator check

# Issue 13's ratios: add one document / cold build (with the byte-identity check), and
# our cold build / (Hugo + Pagefind) and / Hugo (needs Debian's hugo). BENCH_RUNS alternates.
# The scale table (1, 10, 100 synthetic bulletins; 20-30 min on 2 shared cores): make bench-scale.
BENCH_RUNS ?= 1
bench: install
	$(BIN)/python bench/incremental_bench.py --runs $(BENCH_RUNS)
	$(BIN)/python bench/hugo_bench.py --runs $(BENCH_RUNS)

bench-scale: install
	$(BIN)/python bench/scale_bench.py --sizes 1,10,100

clean:
	rm -rf site .site-* .cache
