# Two commands for a newcomer: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DB ?= var/demo.db
DEMO_CUSTOMERS ?= 5000
STAMP := $(VENV)/.installed

.PHONY: run test demo bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

$(DEMO_DB): | $(STAMP)
	mkdir -p $(dir $(DEMO_DB))
	$(BIN)/crm-tui demo --db $(DEMO_DB) --customers $(DEMO_CUSTOMERS)

run: $(STAMP) $(DEMO_DB)
	$(BIN)/crm-tui --db $(DEMO_DB)

demo: $(STAMP)
	mkdir -p $(dir $(DEMO_DB))
	$(BIN)/crm-tui demo --db $(DEMO_DB) --customers $(DEMO_CUSTOMERS) --force

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	# plotext lays out chart labels in set order: a fixed hash seed keeps dashboard snapshots exact.
	PYTHONHASHSEED=0 $(BIN)/pytest -q -n 2 --dist loadgroup

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache
