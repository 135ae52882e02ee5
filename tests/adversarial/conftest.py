"""Adversarial tests of the store: the Airflow environment (helpers are in adversarial_helpers.py).

Some of these tests call the sync engine, which imports Airflow; Airflow reads its configuration on import, so a
test-local AIRFLOW_HOME is set here, at import, as tests/runtime/conftest.py does (when the whole suite runs, that
conftest sets its own before anything imports Airflow, and both are temporary folders).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if "airflow" not in sys.modules:
    _home = Path(tempfile.mkdtemp(prefix="j2f-adversarial-"))
    os.environ.update({
        "AIRFLOW_HOME": str(_home / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(_home / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_home / 'airflow' / 'airflow.db'}",
        "SCARF_ANALYTICS": "false",
        "DO_NOT_TRACK": "1",
    })
    (_home / "airflow").mkdir(parents=True)

sys.path.insert(0, str(ROOT / "tests" / "runtime"))  # catalog_samples: small published catalogs
