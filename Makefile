# The README's interface: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
SMTP_PORT ?= 2525
STAMP := $(VENV)/.installed

.PHONY: install run test worker lint migrate seed bench bench-bound bench-ui drill clean

install: $(STAMP) node_modules/.package-lock.json

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

migrate: install
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py migrate --no-input

seed: migrate
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py seed_demo

run: install
	DEBUG=$${DEBUG:-true} PORT=$(PORT) SMTP_PORT=$(SMTP_PORT) bash scripts/run.sh

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

worker: install
	$(BIN)/celery -A helpdesk worker --loglevel=INFO --concurrency=$${CONCURRENCY:-2} -B

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=true $(BIN)/mypy .
	$(BIN)/lint-imports

# The fault drills against a private PostgreSQL and Redis: one JSON line per drill.
drill: install
	$(BIN)/python scripts/drill.py

bench: install
	$(BIN)/python benchmarks/bench_inbound.py

# Ours beside the least this design's statements cost (issue 12): see README, "Benchmark".
bench-bound: install
	$(BIN)/python benchmarks/bound.py

bench-ui: install
	$(BIN)/python benchmarks/bench_ui.py

clean:
	rm -rf $(VENV) node_modules var
