# frontdesk: `make demo` and `make test` work on a fresh machine (they create .venv).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test test-fast lint lint-imports format typecheck serve worker migrate seed scenarios bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

migrate: $(STAMP)
	$(BIN)/frontdesk db upgrade

seed: migrate
	$(BIN)/frontdesk seed testdata/demo-clinic.json

demo: seed
	$(BIN)/frontdesk demo

# Unit and integration tests (SQLite, and the real Postgres/Redis when reachable),
# then the conversation scenarios with the offline model, then the safety triage set.
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile
	$(BIN)/frontdesk eval tests/scenarios
	$(BIN)/frontdesk eval-safety tests/safety/triage.yaml
	$(BIN)/frontdesk eval-safety tests/safety/holdout-1.yaml
	$(BIN)/frontdesk eval-safety tests/safety/holdout-2.yaml
	$(BIN)/frontdesk eval-safety tests/safety/holdout-3.yaml
	$(BIN)/frontdesk eval-safety tests/safety/holdout-4.yaml
	$(BIN)/frontdesk eval-safety tests/safety/holdout-5.yaml

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

# DESIGN.md §1's "may import" column as import-linter contracts (pyproject.toml).
lint-imports: $(STAMP)
	$(BIN)/lint-imports --no-cache

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP)
	$(BIN)/mypy

serve: migrate
	$(BIN)/frontdesk serve

worker: $(STAMP)
	$(BIN)/frontdesk worker

scenarios: $(STAMP)
	$(BIN)/frontdesk eval tests/scenarios

bench: $(STAMP)
	$(BIN)/python bench/find_slots.py
	$(BIN)/python bench/retrieval.py
	$(BIN)/python bench/holds.py
	$(BIN)/python bench/inbox.py

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache *.egg-info
