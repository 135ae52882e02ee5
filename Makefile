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

.PHONY: venv demo ui test lint bench clean chromium

venv: $(VENV)/.installed $(VENV)/.reader

# The config.xml reader is compiled in place by setup.py (mypyc). After an edit of one of these files the compiled
# modules no longer match their source (the source then runs, with a warning): rebuild them, and only then.
READER_SRC := setup.py $(wildcard src/jenkins2flow/parse/*.py src/jenkins2flow/parse/xml/*.py)

$(VENV)/.installed: pyproject.toml runtime/pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
	set -o pipefail; $(BIN)/python -m pip install -q \
		"apache-airflow==$(AIRFLOW_VERSION)" apache-airflow-providers-common-sql apache-airflow-providers-amazon \
		-e "./runtime[airflow,aws,jenkins,ui]" -e ".[test]" 2>&1 | { grep -v "^WARNING: Location" || true; }
	touch $@

$(VENV)/.reader: $(VENV)/.installed $(READER_SRC)
	$(BIN)/python -W ignore -m jenkins2flow.parse.compiled --check || { set -o pipefail; \
		$(BIN)/python -m pip install -q --no-deps -e . 2>&1 | { grep -v "^WARNING: Location" || true; }; }
	touch $@

demo: venv
	$(BIN)/jenkins2flow demo
	@$(BIN)/jenkins2flow audit samples/jenkinsfiles --store "$(JENKINS2FLOW_STORE)" --json > /dev/null
	@echo "Catalog UI: make ui, then open http://127.0.0.1:8765/ (the first start prints the admin password)"

# The catalog UI on 127.0.0.1:8765 (jenkins2flow ui --help for the options).
ui: venv
	$(BIN)/jenkins2flow ui --state-dir $(STATE)

# Headless Chromium renders the shadow HTML report and drives the UI's browser tests (Debian's packages; idempotent).
chromium:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		(apt-get update && apt-get install -y chromium chromium-driver)

test: venv chromium lint
	$(BIN)/python -m pytest -p no:cacheprovider

lint: venv
	$(BIN)/ruff check setup.py src runtime tests bench
	$(BIN)/mypy src runtime/src

bench: venv
	$(BIN)/python -m pip install -q -e ".[bench]" 2>&1 | { grep -v "^WARNING: Location" || true; }
	$(BIN)/python bench/run.py

clean:
	rm -rf $(STATE) .pytest_cache build *.egg-info
