"""The Airflow side of the runtime. A DAG file needs one line:

    from jenkins2flow_runtime.airflow import load_dags; load_dags(globals())

or, for one pipeline without the store (what `jenkins2flow render` writes): `dag = build_dag(PIPELINE, DOCUMENTS)`.
"""

from jenkins2flow_runtime.airflow.sync import build_dag, build_dags, load_dags

__all__ = ["build_dag", "build_dags", "load_dags"]
