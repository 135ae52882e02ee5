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

# the oldest Airflow the runtime supports: the floor in runtime/pyproject.toml
AIRFLOW_OLDEST := 3.2.0
OLDEST := $(CURDIR)/.venv-airflow-$(AIRFLOW_OLDEST)

.PHONY: venv demo ui airflow test test-airflow-oldest corpus lint bench clean chromium screenshots

venv: $(VENV)/.installed

# $(call install,VENV,AIRFLOW_VERSION[,MORE]): a virtualenv with that Airflow (and MORE requirements), the runtime
# and the toolkit (editable) and the extras the tests use. The big install shows pip's own progress (its bars on a
# terminal; stdout untouched), only its location warnings filtered out of stderr; the small ones stay quiet.
define install
	@test -x $(1)/bin/python || $(PYTHON) -m venv $(1)
	$(1)/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
	$(1)/bin/python -m pip install \
		"apache-airflow==$(2)" $(3) apache-airflow-providers-common-sql apache-airflow-providers-amazon \
		-e "./runtime[airflow,aws,jenkins,mongo,ui]" -e ".[test,aws,mongo]" 2> >(grep -v "^WARNING: Location" >&2)
	touch $(1)/.installed
endef

$(VENV)/.installed: pyproject.toml runtime/pyproject.toml
	$(call install,$(VENV),$(AIRFLOW_VERSION))

# Airflow 3.2 does not cap FastAPI; FastAPI 0.137 breaks its task execution API (Airflow 3.3 caps it there too)
$(OLDEST)/.installed: pyproject.toml runtime/pyproject.toml
	$(call install,$(OLDEST),$(AIRFLOW_OLDEST),"fastapi<0.137")

demo: venv
	$(BIN)/jenkins2flow demo
	@$(BIN)/jenkins2flow audit samples/jenkinsfiles --store "$(JENKINS2FLOW_STORE)" --json > /dev/null
	@echo "Catalog UI: make ui, then open http://127.0.0.1:8765/ (the first start prints the admin password)"

# The catalog UI on 127.0.0.1:8765 (jenkins2flow ui --help for the options).
ui: venv
	$(BIN)/jenkins2flow ui --state-dir $(STATE)

# The README's screenshots of the catalog UI (docs/ui-*.png), over the store `make demo` left (needs make chromium).
screenshots: venv
	$(BIN)/python docs/screenshots.py

# A local Airflow over the catalog on 127.0.0.1:8080: the migrated pipelines are its DAGs (Ctrl-C stops it).
airflow: venv
	$(BIN)/jenkins2flow airflow --state-dir $(STATE)

# The browser tests (the shadow HTML report in headless Chromium, the UI through Selenium) use Debian's chromium and
# chromium-driver: installed once with apt-get, as root.
chromium:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
		command -v apt-get >/dev/null || { echo "make test needs chromium and chromedriver (Debian: apt-get install" \
			"chromium chromium-driver); apt-get is not available here: install them, then run make test again."; \
			exit 1; }; \
		apt-get update -qq && apt-get install -y -qq chromium chromium-driver; }

# The whole suite, on the project's own files (CI runs it, then `make corpus` when ../shared/corpus is there).
test: venv chromium lint
	$(BIN)/python -m pytest -p no:cacheprovider

# The runtime's tests on the oldest Airflow the runtime supports, in a virtualenv of its own.
test-airflow-oldest: $(OLDEST)/.installed
	$(OLDEST)/bin/python -m pytest -p no:cacheprovider tests/runtime tests/render tests/adversarial/test_store_run_version.py

# The shared corpus (../shared/corpus, beside the project): the rates and checks that must hold on real Jenkins files.
corpus: venv
	$(BIN)/python -m pytest -p no:cacheprovider bench/corpus

lint: venv
	$(BIN)/ruff check src runtime tests bench docs
	$(BIN)/mypy src runtime/src

bench: venv
	$(BIN)/python -m pip install -q -e ".[bench]" 2>&1 | { grep -v "^WARNING: Location" || true; }
	$(BIN)/python bench/run.py

clean:
	rm -rf $(STATE) .pytest_cache build dist *.egg-info
	find src -name '*.so' -delete  # extension modules left by the old compiled build shadow their source
