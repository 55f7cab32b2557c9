# Two commands on a fresh machine: `make dev` (run it) and `make test` (prove it).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export VENV

.PHONY: dev test lint format bench install clean dashboard screenshots druid-up druid-down druid-status

$(BIN)/.installed: setup.py pyproject.toml
	scripts/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(BIN)/.installed

dev: install  ## embedded S3 + sample file in landing + dagster dev with the landing sensor
	scripts/dev.sh

test: install  ## lint + the whole suite (starts and stops its own PostgreSQL)
	scripts/test.sh

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

bench: install  ## benchmarks -> benchmarks/results/ (QUICK=1: under 5 minutes)
	$(BIN)/python -m benchmarks.run $(if $(QUICK),--quick,)

dashboard: install  ## only the dashboard, on the store of SALES_STATE_DIR (make dev starts it too)
	$(BIN)/sales-pipeline dashboard

screenshots: install  ## regenerate docs/screenshots/ (Debian chromium + Playwright, generated data)
	SALES_SCREENSHOTS_DIR=docs/screenshots $(BIN)/pytest -q -p no:cacheprovider \
	  sales_pipeline_tests/dashboard/test_browser.py

druid-up: install  ## the local Druid (install from Maven Central on first use, then start; see `sales-pipeline druid --help`)
	$(BIN)/sales-pipeline druid up

druid-down: install  ## stop the local Druid's processes (only those this project started)
	$(BIN)/sales-pipeline druid down

druid-status: install
	$(BIN)/sales-pipeline druid status

clean:
	rm -rf .state $(VENV) *.egg-info
