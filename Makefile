# Two commands on a fresh machine: `make run` serves the site, `make test` checks everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_TEST_URL ?= postgresql+psycopg://127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint install browser-deps test-sqlite test-pg bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Compiled translations (.mo) are built here, not committed: the .po is the one source.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locator/translations/*/LC_MESSAGES/messages.po))

%.mo: %.po $(STAMP)
	$(BIN)/locator translations compile

install: $(STAMP) $(MO_FILES)

## run: install, migrate, load the embedded data (no network) and serve on http://127.0.0.1:5000
run: install
	$(BIN)/locator init
	$(BIN)/locator serve --host $(HOST) --port $(PORT)

## lint: ruff (lint + format check) and mypy (strict)
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy locator scrapers tests bench

## test: lint, then the whole suite on SQLite and again on PostgreSQL
test: lint test-sqlite test-pg

# Browser tests need Chromium: install Debian's package where we can, else they skip.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "== Chromium could not be installed: the browser tests will skip"; \
	  else echo "== Chromium is missing and cannot be installed here: the browser tests will skip"; fi; }

test-sqlite: install browser-deps
	$(BIN)/pytest

test-pg: install browser-deps
	@status=0; $(BIN)/python -m tests.pg_check "$(PG_TEST_URL)" || status=$$?; \
	if [ $$status -eq 0 ]; then \
		echo "== PostgreSQL pass on $(PG_TEST_URL)"; \
		LOCATOR_TEST_DATABASE_URL="$(PG_TEST_URL)" $(BIN)/pytest; \
	elif [ $$status -eq 3 ]; then \
		echo "== PostgreSQL pass SKIPPED: nothing answers at $(PG_TEST_URL) (required under CI)"; \
	else exit $$status; fi

bench: install
	$(BIN)/python bench/search.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
