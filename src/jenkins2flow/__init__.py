"""jenkins2flow: move data pipelines off Jenkins onto Apache Airflow, and prove each migration by shadow runs."""

__version__ = "0.1.0"
