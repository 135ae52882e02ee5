"""The Airflow side of the runtime. A DAG file needs one line:

    from jenkins2flow_runtime.airflow import load_dags; load_dags(globals())
"""

from jenkins2flow_runtime.airflow.sync import build_dags, load_dags

__all__ = ["build_dags", "load_dags"]
