"""Task executors that need no Airflow: shell (subprocess), python (import and call), container."""
