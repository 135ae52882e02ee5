"""Jenkins names become valid catalog names and Airflow task ids, whatever people wrote."""

from __future__ import annotations

import re

import pytest

from jenkins2flow.convert import convert_job
from jenkins2flow.convert.naming import safe_name, task_id
from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile

TASK_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,249}$")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,199}$")
HOSTILE = ["Ü-ñ/../x", "-lead", "...", "", "日本語", "a b\tc\nd", "'\"{{ x }}{% y %}\\", "x" * 400, "__init__"]


@pytest.mark.parametrize("text", HOSTILE)
def test_task_ids_are_valid(text: str) -> None:
    assert TASK_ID.match(task_id(text)), task_id(text)


@pytest.mark.parametrize("text", HOSTILE)
def test_names_are_valid_and_changed_ones_stay_distinct(text: str) -> None:
    assert NAME.match(safe_name(text)), safe_name(text)
    assert safe_name(text + "/1") != safe_name(text + "_1")


def test_accents_are_folded_not_dropped() -> None:
    assert task_id("Übersicht Lädt") == "ubersicht_ladt"


def test_a_pipeline_of_hostile_stage_names_converts_to_valid_documents() -> None:
    stages = "\n".join(f"stage({name!r}) {{ steps {{ sh 'echo {i}' }} }}" for i, name in enumerate(
        ["Ü-ñ/../x", "-lead", "...", "日本語", "-lead"]))
    job = parse_jenkinsfile(f"pipeline {{ agent any\n stages {{\n{stages}\n}} }}\n", "h.Jenkinsfile", "h")
    conv = convert_job(job)
    assert conv.pipeline is not None, [str(d) for d in conv.diagnostics]
    ids = [t.id for t in conv.pipeline.tasks]
    assert len(ids) == len(set(ids)) == 5
    assert all(TASK_ID.match(i) for i in ids)


def test_a_computed_cron_spec_is_a_placeholder_that_says_so_and_a_literal_one_still_schedules() -> None:
    text = """def cronExpr = env.BRANCH_NAME == 'main' ? 'H 4 * * *' : ''
pipeline { agent any
  triggers { cron(cronExpr); pollSCM('H/5 * * * *') }
  stages { stage('A') { steps { sh 'echo a' } } } }
"""
    job = parse_jenkinsfile(text, "c.Jenkinsfile", "c")
    assert [dict(t.extra).get("computed", False) for t in job.triggers if t.kind == "cron"] == [True]
    conv = convert_job(job)
    assert conv.pipeline is not None
    assert any("computed by Groovy ('cronExpr')" in r for r in conv.reasons), conv.reasons
    assert conv.pipeline.schedule is None or not conv.pipeline.schedule.cron


def test_freestyle_matrix_maps_cells_and_a_combination_filter_is_reported_once() -> None:
    from jenkins2flow.parse.job_xml import parse_config_xml

    xml = b"""<?xml version='1.0'?>
<matrix-project><axes><hudson.matrix.TextAxis><name>OS</name><values><string>linux</string><string>mac</string>
</values></hudson.matrix.TextAxis></axes><combinationFilter>OS != "mac"</combinationFilter>
<builders><hudson.tasks.Shell><command>echo $OS</command></hudson.tasks.Shell></builders></matrix-project>"""
    conv = convert_job(parse_config_xml(xml, "m.xml", "m"))
    assert conv.pipeline is not None
    assert [t.matrix for t in conv.pipeline.tasks] == [[{"OS": "linux"}, {"OS": "mac"}]]
    assert conv.status == "partial"
    assert len([r for r in conv.reasons if "combinationFilter" in r]) == 1


def test_ordinary_names_are_kept_and_a_literal_dot_never_meets_a_folder() -> None:
    assert [safe_name(n) for n in ("etl", "team/etl_daily", "a/b-c/D9")] == ["etl", "team.etl_daily", "a.b-c.D9"]
    assert safe_name("a/b") == "a.b"
    dotted = {safe_name(n) for n in ("a.b", "a/b", "a.b/c", "a/b.c", "a/b/c", "v1.2")}
    assert len(dotted) == 6 and safe_name("a.b").startswith("a.b-") and safe_name("v1.2").startswith("v1.2-")
