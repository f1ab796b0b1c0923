# CareLoop — the README's commands. Everything a command needs is installed by the command itself.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: demo test test-postgres lint install assets system-packages messages bench clean

demo: install
	CARELOOP_DEBUG=true $(BIN)/careloop demo

# The whole suite with coverage: prints the total and fails below the floor in pyproject.toml
# ([tool.coverage.report] fail_under). For part of the suite run pytest directly (see docs/development.md).
COVERAGE := --cov --cov-report=
test: install system-packages
	$(BIN)/python -m pytest $(COVERAGE) $(PYTEST_ARGS)

# Runs the same suite against PostgreSQL: DATABASE_URL=postgres://user@host:5432/dbname make test-postgres
test-postgres: install system-packages
	@test -n "$$DATABASE_URL" || { echo "Set DATABASE_URL=postgres://user@host:5432/dbname" >&2; exit 2; }
	$(BIN)/python -m pytest --create-db $(COVERAGE) $(PYTEST_ARGS)

# The lint gate (CI runs it before the tests): lint, formatting, types.
lint: install
	$(BIN)/ruff check careloop tests bench
	$(BIN)/ruff format --check careloop tests bench
	$(BIN)/mypy careloop tests bench

install: $(STAMP) assets

# Front-end libraries from npm, copied next to our own static files (not committed).
VENDOR := careloop/static/vendor
assets: $(VENDOR)/echarts.min.js

$(VENDOR)/echarts.min.js: package.json package-lock.json
	@command -v npm >/dev/null || scripts/system-packages.sh nodejs npm
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts.min.js

$(STAMP): pyproject.toml scripts/find-python.sh
	@test -x $(BIN)/python || "$$(scripts/find-python.sh)" -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,dev]"
	@touch $(STAMP)

system-packages:
	@scripts/system-packages.sh

# Extract and compile translations (needs gettext).
messages: install
	cd careloop && CARELOOP_DEBUG=true ../$(BIN)/careloop makemessages -l zh_Hans --no-location
	cd careloop && CARELOOP_DEBUG=true ../$(BIN)/careloop compilemessages

bench: install
	$(BIN)/python bench/seed.py
	$(BIN)/python bench/import.py
	$(BIN)/python bench/audit.py

clean:
	rm -rf $(VENV) var/static .pytest_cache
