"""Static DAG render: hostile Jenkins text injects neither Python nor Jinja; every rendered file loads in a DagBag;
every template parameter changes the output."""

from __future__ import annotations

import ast
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from jenkins2flow_runtime import model

from jenkins2flow.airflow_env import airflow_env
from jenkins2flow.convert import convert_job
from jenkins2flow.convert.estate import convert_estate, iter_jobs
from jenkins2flow.ir import Job, Param, Span, Stage, Step
from jenkins2flow.render.dag import check_template, render_dag, to_python, to_python_lines, write_dag
from tests.convert.test_estate_invariants import PROJECT_JOBS
from tests.render.dagcheck import conversion_docs, echo_docs, one_task, static_data

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


def _dagbag(folder: Path, state: Path) -> dict:  # type: ignore[type-arg]
    env = airflow_env(state, str(state / "store.db"))
    proc = subprocess.run([sys.executable, "-c", CHECK, str(folder)], env=env, capture_output=True, text=True,
                          check=False, timeout=600)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("JSON")]
    assert lines, proc.stderr[-3000:]
    return json.loads(lines[0][4:])  # type: ignore[no-any-return]


def test_to_python_refuses_non_plain_values() -> None:
    value = {"a": [1, None, True, "x'\"\n\u2028" * 30], "b": {"c": 1.5}}
    assert to_python(value) == repr(value) and "\n" not in to_python(value)  # one line: safe in a comment
    assert ast.literal_eval(to_python_lines(value)) == value and "\n" in to_python_lines(value)
    for render in (to_python, to_python_lines):
        with pytest.raises(TypeError):
            render(object())
        with pytest.raises(TypeError):
            render({"a": [Path(".")]})


def _reference_lines(value: object, indent: int = 0, column: int = 0) -> str:
    """The layout rule written plainly: `repr` when it fits (a column kept for a comma), else one item per line."""
    text = repr(value)
    if column + len(text) < 120 or not value or not isinstance(value, list | tuple | dict):
        return text
    pad = " " * (indent + 4)
    if isinstance(value, dict):
        items = [f"{pad}{k!r}: {_reference_lines(v, indent + 4, indent + 4 + len(repr(k)) + 2)}"
                 for k, v in value.items()]
    else:
        items = [pad + _reference_lines(v, indent + 4, indent + 4) for v in value]
    brackets = "{}" if isinstance(value, dict) else "[]" if isinstance(value, list) else "()"
    return brackets[0] + "\n" + "".join(i + ",\n" for i in items) + " " * indent + brackets[1]


def _plain(rnd: random.Random, depth: int = 0) -> object:
    leaves = [0, -7, 2.5, 1e300, None, True, False, "", "x", "it's \"q\" \\ \n\r\t\x00\x85\u2028" * rnd.randint(0, 9),
              "\ud800", "日本" * rnd.randint(0, 70), (), [], {}]
    roll = rnd.random()
    if depth > 4 or roll < 0.35:
        return rnd.choice(leaves)
    if roll < 0.6:
        return [_plain(rnd, depth + 1) for _ in range(rnd.randint(0, 7))]
    if roll < 0.7:
        return tuple(_plain(rnd, depth + 1) for _ in range(rnd.randint(0, 3)))
    return {"k" * rnd.randint(1, 30) + str(i): _plain(rnd, depth + 1) for i in range(rnd.randint(0, 7))}


def test_the_layout_is_valid_python_for_any_plain_value() -> None:
    """What lets render_dag skip an ast.parse per file: every value goes in as a literal that reads back equal,
    whatever its strings hold, laid out as the plain rule says; non-plain values are refused."""
    rnd = random.Random(11)
    for _ in range(3000):
        value, indent = _plain(rnd), rnd.choice([0, 4, 8, 60])
        text = to_python_lines(value, indent)
        assert text == _reference_lines(value, indent, indent)
        assert ast.literal_eval(text) == value
        one_line = to_python(value)
        assert "\n" not in one_line and "\r" not in one_line and ast.literal_eval(one_line) == value
    class Sneaky(str):
        def __repr__(self) -> str:
            return "__import__('os')"
    for bad in (Sneaky("x"), float("inf"), float("nan"), {"a": [Sneaky("y")]}, {1.5j: 1}, b"bytes"):
        with pytest.raises(TypeError):
            to_python_lines(bad)
        with pytest.raises(TypeError):
            to_python(bad)
    check_template()  # the template itself, holes filled with values of every shape


def test_cached_document_texts_render_the_same_file() -> None:
    pipeline, docs = conversion_docs(convert_job(_hostile_job()))
    texts: dict[tuple[str, str, int, str], str] = {}
    assert render_dag(pipeline, docs, texts) == render_dag(pipeline, docs) == render_dag(pipeline, docs, texts)
    assert len(texts) == len({(d.kind, d.name) for d in docs})


def test_hostile_text_renders_to_valid_python_with_the_text_as_data() -> None:
    pipeline, docs = conversion_docs(convert_job(_hostile_job()))
    text = render_dag(pipeline, docs)
    tree = ast.parse(text)
    literals = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    for script in HOSTILE:
        assert script in literals  # byte for byte, as a string constant
    assert not any(isinstance(n, ast.Import) and any(a.name == "os" for a in n.names) for n in ast.walk(tree))
    assert "boom" not in [n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)]
    # the code is four statements: the runtime import, two literals, one build_dag call
    assert [type(n).__name__ for n in tree.body] == ["ImportFrom", "Assign", "Assign", "Assign"]
    assert ast.unparse(tree.body[-1]) == "dag = build_dag(PIPELINE, DOCUMENTS)"
    assert text.splitlines()[0] == f"# jenkins2flow static DAG: pipeline={pipeline.name}"
    comments = [line for line in text.splitlines() if not line.strip() or line.startswith("#")]
    assert len(comments) == 8  # the Jenkins job name in the header stays on its line


def test_every_template_parameter_changes_the_output() -> None:
    base_doc = one_task("p", provenance={"job": "folder/p"})
    base = render_dag(base_doc, echo_docs())
    assert static_data(base) == {"PIPELINE": model.to_dict(base_doc), "DOCUMENTS": [model.to_dict(echo_docs()[0])]}
    changed = {
        "name": render_dag(one_task("q", provenance={"job": "folder/p"}), echo_docs()),
        "version": render_dag(base_doc.model_copy(update={"version": 2}), echo_docs()),
        "job": render_dag(one_task("p", provenance={"job": "folder/other"}), echo_docs()),
        "pipeline": render_dag(one_task("p", provenance={"job": "folder/p"}, max_active_runs=1), echo_docs()),
        "documents": render_dag(base_doc, [echo_docs()[0].model_copy(update={"comment": "x"})]),
    }
    assert {k for k, text in changed.items() if text == base} == set()
    with pytest.raises(LookupError, match=r"spec\.tasks\[0\]\.uses: concrete_task 'echo' version 1"):
        render_dag(base_doc, [])


def test_hostile_dag_loads_in_a_dagbag_with_its_commands_byte_for_byte(tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    hostile = convert_job(_hostile_job())
    written = write_dag(dags, *conversion_docs(hostile))
    assert written.path.name == f"{hostile.pipeline_name}.py" and written.changed
    assert not write_dag(dags, *conversion_docs(hostile)).changed  # unchanged: not rewritten
    result = _dagbag(dags, tmp_path / "state")
    assert result["errors"] == {}
    assert sorted(result["dags"][hostile.pipeline_name].values()) == sorted(HOSTILE)  # byte for byte


def test_rendered_project_dags_load_in_one_dagbag(tmp_path: Path) -> None:
    """The samples and test jobs (the corpus's DAGs are loaded by `make corpus`)."""
    dags = tmp_path / "dags"
    estate = convert_estate(iter_jobs([str(p) for p in PROJECT_JOBS]))
    names = set()
    for conv in estate.conversions:
        if conv.pipeline is not None:
            write_dag(dags, *conversion_docs(conv))
            names.add(conv.pipeline_name)
    assert len(names) >= 10
    for file in dags.glob("*.py"):
        ast.parse(file.read_text(encoding="utf-8"))
    result = _dagbag(dags, tmp_path / "state")
    assert result["errors"] == {}
    assert set(result["dags"]) == names
