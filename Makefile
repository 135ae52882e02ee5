# jenkins2flow: `make demo` runs the main job, `make test` the whole suite. Both set everything up first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
STATE := $(CURDIR)/.jenkins2flow
AIRFLOW_VERSION := 3.3.2

# Airflow stays inside the project: its own home, SQLite, no examples, nothing that reaches the network.
export AIRFLOW_HOME := $(STATE)/airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(STATE)/dags
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__CORE__UNIT_TEST_MODE := False
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN := sqlite:///$(STATE)/airflow/airflow.db
export AIRFLOW__CORE__EXECUTOR := LocalExecutor
export AIRFLOW__DAG_FACTORY__ENABLE_TELEMETRY := False
export AIRFLOW__CORE__ALLOWED_DESERIALIZATION_CLASSES_REGEXP := jenkins2flow.*
export SCARF_ANALYTICS := false
export DO_NOT_TRACK := 1
export JENKINS2FLOW_STORE ?= $(STATE)/store.db
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: venv demo test lint bench clean chromium

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml runtime/pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
	set -o pipefail; $(BIN)/python -m pip install -q \
		"apache-airflow==$(AIRFLOW_VERSION)" apache-airflow-providers-common-sql apache-airflow-providers-amazon \
		-e "./runtime[airflow,aws,jenkins,mongo]" -e ".[test,aws,mongo]" 2>&1 | { grep -v "^WARNING: Location" || true; }
	touch $@

demo: venv
	$(BIN)/jenkins2flow demo

# Headless Chromium renders the shadow HTML report in a test (Debian's package; idempotent).
chromium:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

test: venv chromium lint
	$(BIN)/python -m pytest -p no:cacheprovider

lint: venv
	$(BIN)/ruff check src runtime tests bench
	$(BIN)/mypy src runtime/src

bench: venv
	$(BIN)/python -m pip install -q -e ".[bench]" 2>&1 | { grep -v "^WARNING: Location" || true; }
	$(BIN)/python bench/run.py

clean:
	rm -rf $(STATE) .pytest_cache build dist *.egg-info
	find src -name '*.so' -delete  # extension modules left by the old compiled build shadow their source
