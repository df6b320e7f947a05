# Two commands for a newcomer: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DB ?= var/demo.db
DEMO_CUSTOMERS ?= 5000
STAMP := $(VENV)/.installed

.PHONY: run test test-volume demo bench lint clean faketime postgresql chromium shop

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

$(DEMO_DB): | $(STAMP)
	mkdir -p $(dir $(DEMO_DB))
	$(BIN)/crm-tui demo --db $(DEMO_DB) --customers $(DEMO_CUSTOMERS)

# The demo is tried at any hour: calling hours all day unless CRM_TUI_CALLING_HOURS says otherwise
# (the queue's header shows the hours in force).
run: $(STAMP) $(DEMO_DB)
	CRM_TUI_CALLING_HOURS=$${CRM_TUI_CALLING_HOURS:-00:00-23:59} $(BIN)/crm-tui --db $(DEMO_DB) $(ARGS)

demo: $(STAMP)
	mkdir -p $(dir $(DEMO_DB))
	$(BIN)/crm-tui demo --db $(DEMO_DB) --customers $(DEMO_CUSTOMERS) --force

test: $(STAMP) faketime postgresql chromium
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	# plotext lays out chart labels in set order: a fixed hash seed keeps dashboard snapshots exact.
	# The CLI's tests run once, in the year-ahead pass below.
	PYTHONHASHSEED=0 $(BIN)/pytest -q -n 2 --dist loadgroup --durations=10 --ignore=tests/browser --ignore=tests/cli
	# The web shop in a real Chromium, beside an agent's console: a pytest process of its own (Playwright).
	$(BIN)/pytest -q -p no:cacheprovider tests/browser
	# The same services, CLI and races on PostgreSQL 15: each test process starts its own server.
	$(BIN)/pytest -q -n 2 -p no:cacheprovider --engine postgresql tests/core tests/cli
	# The load test (32 agent processes, 20,000 callbacks: three minutes) runs apart: make test-volume.
	$(BIN)/pytest -q -p no:cacheprovider --durations=10 --engine postgresql -m "not volume" tests/integration
	# Time is an input: the CLI and the services that read the clock pass with the date a year ahead.
	FAKETIME_DONT_FAKE_MONOTONIC=1 PYTHONHASHSEED=0 faketime -f '+365d' $(BIN)/pytest -q -n 2 -p no:cacheprovider \
		tests/cli tests/core/test_customer_summary.py tests/core/test_marketing.py

# The load test: 32 agents working 20,000 callbacks on PostgreSQL. About three minutes alone; inside
# make test it took a fresh clone's CI to 13.5-14.8 minutes of the 15 allowed, so it runs apart.
test-volume: $(STAMP) postgresql
	$(BIN)/pytest -q -p no:cacheprovider --durations=5 --engine postgresql -m volume tests/integration

# libfaketime moves the whole process's clock (SQLite included); Debian packages it.
faketime:
	@command -v faketime >/dev/null || { apt-get update -qq && apt-get install -y -qq faketime; } \
		|| { echo "make test needs faketime: apt-get install faketime (as root)"; exit 1; }

# PostgreSQL 15's server binaries (the tests start private servers; nothing is left running).
postgresql:
	@test -x /usr/lib/postgresql/15/bin/initdb || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null; } \
		|| { echo "make test needs PostgreSQL 15: apt-get install postgresql-15 (as root)"; exit 1; }

# Debian's Chromium for the browser test (Playwright cannot download browsers here).
chromium:
	@test -x /usr/bin/chromium || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
		|| { echo "make test needs Chromium: apt-get install chromium (as root)"; exit 1; }

# The web shop on the demo database, beside the console (`make run` in another terminal).
shop: $(STAMP) $(DEMO_DB)
	$(BIN)/crm-tui shop serve --db $(DEMO_DB) $(ARGS)

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache
