"""jenkins2flow runtime: the model and store of the catalog, and the engines Airflow loads to run it.

Importing this package (and `model`, `store`) never imports Airflow; only `jenkins2flow_runtime.airflow` does.
"""

__version__ = "0.1.0"
