"""Static DAG render: hostile Jenkins text injects neither Python nor Jinja; every rendered file loads in a DagBag."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from jenkins2flow.airflow_env import airflow_env
from jenkins2flow.convert import convert_job
from jenkins2flow.convert.estate import convert_estate, iter_jobs
from jenkins2flow.ir import Job, Param, Span, Stage, Step
from jenkins2flow.render.dag import render_pipeline, to_python, write_dag
from tests.convert.test_estate_invariants import PROJECT_JOBS

HOSTILE = [
    "echo '\"\"\"' \"'''\" done",
    "echo {{ dag_run.conf }} {% for x in y %}{% endfor %} {# c #}",
    "printf 'a\\\\b\\n' \\\n  && echo \"$HOME\" `id`",
    "echo ünïcødé ✓ 日本 \u2028 line sep\r\nend",
    "');import os;os.system('boom')#",
    "\"\"\"\nimport os\n\"\"\"",
]
HOSTILE_NAME = "team/it's \"{{ evil }}\" {% x %}\n\\name\u2028"

CHECK = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1], safe_mode=False)
cmds = {i: {t.task_id: getattr(t, "spec", {}).get("command", "") for t in d.tasks} for i, d in bag.dags.items()}
out = {"dags": cmds,
       "errors": {k: v[-800:] for k, v in bag.import_errors.items()}}
print("JSON" + json.dumps(out))
"""


def _hostile_job() -> Job:
    span = Span("x.Jenkinsfile")
    stages = tuple(Stage(f"s{i} {{{{ x }}}} '\"", span, steps=(Step("sh", span, args=(text,)),))
                   for i, text in enumerate(HOSTILE))
    params = (Param("P", "string", span, default="{{ 7*7 }}'''\"\"\"", description="{% raw %}"),)
    return Job(full_name=HOSTILE_NAME, kind="pipeline", span=span, flavor="declarative", stages=stages,
               parameters=params, description="desc '''\"\"\" {{ x }}")


def _docs(conv):  # type: ignore[no-untyped-def]
    return {d.name: d for d in (*conv.templates, *conv.tasks)}


def _dagbag(folder: Path, state: Path) -> dict:  # type: ignore[type-arg]
    env = airflow_env(state, str(state / "store.db"))
    proc = subprocess.run([sys.executable, "-c", CHECK, str(folder)], env=env, capture_output=True, text=True,
                          check=False, timeout=600)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("JSON")]
    assert lines, proc.stderr[-3000:]
    return json.loads(lines[0][4:])  # type: ignore[no-any-return]


def test_to_python_refuses_non_plain_values() -> None:
    assert to_python({"a": [1, None, True, "x'\""]}) == repr({"a": [1, None, True, "x'\""]})
    with pytest.raises(TypeError):
        to_python(object())


def test_hostile_text_renders_to_valid_python_with_the_text_as_data() -> None:
    conv = convert_job(_hostile_job())
    text = render_pipeline(conv.pipeline_name, conv.pipeline, _docs(conv))  # type: ignore[arg-type]
    tree = ast.parse(text)
    literals = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    for script in HOSTILE:
        assert script in literals  # byte for byte, as a string constant
    assert not any(isinstance(n, ast.Import) and any(a.name == "os" for a in n.names) for n in ast.walk(tree))
    assert "boom" not in [n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)]


def test_every_template_parameter_changes_the_output() -> None:
    conv = convert_job(_hostile_job())
    base = render_pipeline("p", conv.pipeline, _docs(conv))  # type: ignore[arg-type]
    assert render_pipeline("q", conv.pipeline, _docs(conv)) != base  # type: ignore[arg-type]
    other = conv.pipeline.model_copy(update={"max_active_runs": 1, "tags": ["t"]})  # type: ignore[union-attr]
    assert render_pipeline("p", other, _docs(conv)) != base


def test_rendered_project_and_hostile_dags_load_in_one_dagbag(tmp_path: Path) -> None:
    """The samples and test jobs (the corpus's DAGs are loaded by `make corpus`), and the hostile job."""
    dags = tmp_path / "dags"
    estate = convert_estate(iter_jobs([str(p) for p in PROJECT_JOBS]))
    written = set()
    for conv in estate.conversions:
        if conv.pipeline is not None:
            write_dag(dags, conv.pipeline_name, conv.pipeline, _docs(conv))
            written.add(conv.pipeline_name)
    assert len(written) >= 10
    hostile = convert_job(_hostile_job())
    path = write_dag(dags, hostile.pipeline_name, hostile.pipeline, _docs(hostile))  # type: ignore[arg-type]
    for file in dags.glob("*.py"):
        ast.parse(file.read_text(encoding="utf-8"))
    result = _dagbag(dags, tmp_path / "state")
    assert result["errors"] == {}
    assert set(result["dags"]) == {*written, hostile.pipeline_name}
    loaded = result["dags"][hostile.pipeline_name]
    assert sorted(loaded.values()) == sorted(HOSTILE)  # each command equals the original text byte for byte
    assert path.name.endswith(".py")
