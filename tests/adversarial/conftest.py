"""Adversarial tests of the store: the Airflow environment (helpers are in adversarial_helpers.py).

Some of these tests call the sync engine, which imports Airflow; Airflow reads its configuration on import, so a
test-local AIRFLOW_HOME is set here, at import, as tests/runtime/conftest.py does (when the whole suite runs, that
conftest sets its own before anything imports Airflow, and both are temporary folders).
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "runtime"))  # airflow_test_env; catalog_samples: small published catalogs

from airflow_test_env import airflow_env  # noqa: E402

from tests.helpers.moto_ecs import aws, moto_url  # noqa: E402, F401 - fixtures of test_fargate_secrets

if "airflow" not in sys.modules:
    _home = Path(tempfile.mkdtemp(prefix="j2f-adversarial-"))
    atexit.register(shutil.rmtree, _home, ignore_errors=True)  # the session's Airflow home: gone when pytest ends
    os.environ.update(airflow_env(_home))
    (_home / "airflow").mkdir(parents=True)
