# Two commands on a fresh machine: `make run` serves the site, `make test` checks everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Serving needs only the package's own dependencies; lint, tests and benchmarks add the dev
# extra (playwright, schemathesis, mypy...), so `make run` does not wait for those.
SERVE_STAMP := $(VENV)/.installed-serve
DEV_STAMP := $(VENV)/.installed-dev
PG_TEST_URL ?= postgresql+psycopg://127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint install install-dev browser-deps nginx-deps test-sqlite test-pg bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(SERVE_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $(SERVE_STAMP)

# After the serving install, so the two never run pip in one venv at once (make -j).
$(DEV_STAMP): pyproject.toml $(SERVE_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(DEV_STAMP)

# Compiled translations (.mo) are built here, not committed: the .po is the one source.
# `locator translations compile` needs only the serving install (Babel comes with Flask-Babel).
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locator/translations/*/LC_MESSAGES/messages.po))

%.mo: %.po $(SERVE_STAMP)
	$(BIN)/locator translations compile

## install: what serving needs (the package and its dependencies) and the compiled translations
install: $(SERVE_STAMP) $(MO_FILES)

## install-dev: install, plus the dev tools of lint, test and bench
install-dev: install $(DEV_STAMP)

## run: install, migrate, load the embedded data (no network) and serve on http://127.0.0.1:5000
run: install
	$(BIN)/locator init
	$(BIN)/locator serve --host $(HOST) --port $(PORT)

## lint: ruff (lint + format check), mypy (strict) and the import contracts
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy locator scrapers tests bench
	$(BIN)/lint-imports

## test: lint, then the whole suite on SQLite and again on PostgreSQL
test: lint test-sqlite test-pg

# Browser tests need Chromium: install Debian's package where we can, else they skip.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "== Chromium could not be installed: the browser tests will skip"; \
	  else echo "== Chromium is missing and cannot be installed here: the browser tests will skip"; fi; }

# The slow-client probe (tests/security/test_slow_clients.py) runs deploy/nginx.conf: install
# Debian's nginx where we can; under CI that test fails rather than skips without it.
nginx-deps:
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null) \
	      || echo "== nginx could not be installed: the slow-client test will skip"; \
	  else echo "== nginx is missing and cannot be installed here: the slow-client test will skip"; fi; }

test-sqlite: install-dev browser-deps nginx-deps
	$(BIN)/pytest

test-pg: install-dev browser-deps nginx-deps
	@status=0; $(BIN)/python -m tests.pg_check "$(PG_TEST_URL)" || status=$$?; \
	if [ $$status -eq 0 ]; then \
		echo "== PostgreSQL pass on $(PG_TEST_URL)"; \
		LOCATOR_TEST_DATABASE_URL="$(PG_TEST_URL)" $(BIN)/pytest; \
	elif [ $$status -eq 3 ]; then \
		echo "== PostgreSQL pass SKIPPED: nothing answers at $(PG_TEST_URL) (required under CI)"; \
	else exit $$status; fi

bench: install-dev
	$(BIN)/python bench/search.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
