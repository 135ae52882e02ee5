from __future__ import annotations

import re
from pathlib import Path

from jenkins2flow_runtime.expressions import Context, condition

from jenkins2flow.convert import convert_job
from jenkins2flow.ir import (
    Agent,
    Axis,
    EnvVar,
    GString,
    Interp,
    Matrix,
    Param,
    PostBlock,
    Stage,
    Step,
    Trigger,
    When,
    WhenBlock,
)
from tests.convert.helpers import job, sh, sp, stage, step


def _tasks(conv):  # type: ignore[no-untyped-def]
    return {t.id: t for t in conv.pipeline.tasks}


def test_parallel_fans_out_and_joins() -> None:
    par = Stage("Tests", sp(2), parallel=(stage("unit", sh("make unit")), stage("lint", sh("make lint"))))
    conv = convert_job(job(stage("Build", sh("make")), par, stage("Publish", sh("make dist"))))
    t = _tasks(conv)
    assert t["unit"].depends_on == ["build"] and t["lint"].depends_on == ["build"]
    assert sorted(t["publish"].depends_on) == ["lint", "unit"]
    assert conv.status == "converted"


def test_matrix_is_one_mapped_task_with_its_cells_minus_excludes() -> None:
    mx = Matrix(axes=(Axis("OS", ("linux", "windows")), Axis("PY", ("3.10", "3.11"))),
                excludes=((Axis("OS", ("windows",)), Axis("PY", ("3.10",))),),
                stages=(stage("test", sh("tox")),), span=sp(3))
    conv = convert_job(job(Stage("Matrix", sp(3), matrix=mx)))
    (task,) = conv.pipeline.tasks  # type: ignore[union-attr]
    assert task.matrix == [{"OS": "linux", "PY": "3.10"}, {"OS": "linux", "PY": "3.11"},
                           {"OS": "windows", "PY": "3.11"}]
    assert "OS" not in task.bindings and "PY" not in task.bindings  # the cell carries them
    assert len(conv.tasks) == 1


def test_matrix_notvalues_exclude() -> None:
    mx = Matrix(axes=(Axis("OS", ("a", "b", "c")),),
                excludes=((Axis("OS", ("a",), negated=True),),), stages=(stage("t", sh("x")),), span=sp(3))
    conv = convert_job(job(Stage("M", sp(3), matrix=mx)))
    assert [t.matrix for t in conv.pipeline.tasks] == [[{"OS": "a"}]]  # type: ignore[union-attr]


def test_when_becomes_a_gate_and_later_stages_still_run() -> None:
    when = WhenBlock((When("environment", sp(4), kwargs=(("name", "DEPLOY"), ("value", "yes"))),), sp(4))
    conv = convert_job(job(stage("Build", sh("make")), Stage("Deploy", sp(4), steps=(sh("./deploy"),), when=when),
                           stage("Report", sh("./report")), parameters=(Param("DEPLOY", "string", sp(2)),)))
    t = _tasks(conv)
    gate = t["deploy_gate"]
    tree = gate.bindings["condition"]
    assert tree["op"] == "environment" and (tree["name"], tree["value"]) == ("DEPLOY", "yes")
    assert condition(tree, Context(env={"DEPLOY": "yes"})) and not condition(tree, Context(env={"DEPLOY": "no"}))
    assert t["deploy"].depends_on == ["deploy_gate"]
    assert t["report"].trigger_rule == "none_failed"
    assert conv.status == "converted"


def test_post_conditions_run_after_gates_and_end_with_a_task_that_fails_like_the_build() -> None:
    post = (PostBlock("failure", (step("emailext", to="a@x.org, b@x.org", subject="failed"), sh("./page-oncall")),
                      sp(9)),
            PostBlock("always", (sh("./cleanup-tmp"),), sp(10)),
            PostBlock("cleanup", (sh("rm -rf tmp"),), sp(11)),
            PostBlock("unstable", (sh("./flaky"),), sp(12)))
    conv = convert_job(job(stage("Build", sh("make")), post=post))
    t = _tasks(conv)
    # Jenkins' order: always, failure, then cleanup; each gate judges the body and the blocks before it
    for cond, runs_on, before in (("always", "always", []), ("failure", "failure", ["post_post_always"]),
                                  ("cleanup", "always", ["post_post_always", "post_post_failure"])):
        gate = t[f"post_post_{cond}_gate"]
        assert gate.uses.name == "airflow.block-gate" and gate.trigger_rule == "all_done"
        assert gate.bindings["runs_on"] == runs_on and gate.bindings["body_tasks"] == ["build", *before]
        assert gate.bindings["entry_task"] == ""  # the pipeline's post always runs
        assert t[f"post_post_{cond}"].depends_on == [gate.id] and t[f"post_post_{cond}"].trigger_rule == "all_success"
    assert set(t["post_post_cleanup_gate"].depends_on) == {"build", "post_post_failure", "post_post_always"}
    end = t["post_end"]  # the run's leaf: fails when the body or a post block failed, as the Jenkins build does
    assert end.uses.name == "airflow.block-end" and end.trigger_rule == "all_done"
    assert end.bindings["handled_by"] == "none" and end.bindings["body_tasks"] == ["build"]
    assert set(end.bindings["after_tasks"]) == {"post_post_failure", "post_post_always", "post_post_cleanup"}
    assert not any(u.depends_on == [end.id] for u in t.values())
    [note] = conv.pipeline.notifications  # type: ignore[union-attr]
    assert note.on == "failure" and note.to == ["a@x.org", "b@x.org"]
    assert any(e.key == "post unstable" and e.outcome == "waived" for e in conv.ledger)
    assert not any("flaky" in u.uses.name for u in t.values())
    assert conv.status == "converted"


def test_changed_fixed_regression_become_post_gates() -> None:
    post = (PostBlock("fixed", (step("emailext", to="a@x.org", subject="fixed"), sh("./celebrate")), sp(9)),
            PostBlock("regression", (sh("./page-oncall"),), sp(10)),
            PostBlock("changed", (step("emailext", to="b@x.org"),), sp(11)),  # a mail step would be a task
            PostBlock("cleanup", (sh("rm -rf tmp"),), sp(12)))
    conv = convert_job(job(stage("Build", sh("make")), stage("Test", sh("make test")), post=post))
    t = _tasks(conv)
    for cond, before in (("fixed", []), ("regression", ["post_post_fixed"])):  # one after the other, in Jenkins' order
        gate = t[f"post_post_{cond}_gate"]
        assert gate.uses.name == "airflow.post-gate" and gate.trigger_rule == "all_done"
        assert gate.depends_on == ["test", *before]
        assert gate.bindings == {"post_condition": cond, "body_tasks": ["test", *before]}
        step_ = t[f"post_post_{cond}"]
        assert step_.depends_on == [f"post_post_{cond}_gate"] and step_.trigger_rule == "all_success"
    assert "post_post_changed_gate" not in t  # notifications only: the condition travels with them
    assert set(t["post_post_cleanup_gate"].depends_on) == {"test", "post_post_fixed", "post_post_regression"}
    assert t["post_post_cleanup"].depends_on == ["post_post_cleanup_gate"]
    notes = {n.to[0]: (n.on, n.condition) for n in conv.pipeline.notifications}  # type: ignore[union-attr]
    assert notes == {"a@x.org": ("success", "fixed"), "b@x.org": ("always", "changed")}
    gate_doc = next(d for d in conv.tasks if d.name == "airflow.post-gate")
    assert gate_doc.spec.callable == "jenkins2flow_runtime.fallback:post_gate"
    assert conv.status == "converted"


def test_credentials_become_secret_references_and_a_plan() -> None:
    creds = step("withCredentials", (step("usernamePassword", credentialsId="warehouse-db",
                                           usernameVariable="DB_USER", passwordVariable="DB_PASS"),),
                 body=(sh("psql -U $DB_USER -c 'select 1'"),))
    env = (EnvVar("API_TOKEN", None, sp(2), credential="api-token"),)
    conv = convert_job(job(stage("Load", creds), environment=env))
    secrets = conv.tasks[0].spec.secrets
    assert {(s.env, s.source, s.id, s.field) for s in secrets} == {
        ("API_TOKEN", "variable", "api-token", ""), ("DB_USER", "connection", "warehouse-db", "login"),
        ("DB_PASS", "connection", "warehouse-db", "password")}
    assert {u.credentials_id for u in conv.credentials} == {"warehouse-db", "api-token"}
    assert conv.tasks[0].kind == "concrete_task"  # SQL run with Jenkins-bound credentials stays shell


def test_options_retry_timeout_concurrency_waivers() -> None:
    opts = (step("retry", 3), step("timeout", time=2, unit="HOURS"), step("disableConcurrentBuilds"),
            step("timestamps"), step("buildDiscarder", step("logRotator", numToKeepStr="5")), step("quietPeriod", 30))
    conv = convert_job(job(stage("Build", sh("make")), options=opts))
    task = conv.pipeline.tasks[0]  # type: ignore[union-attr]
    # the pipeline's timeout is the run's limit; its retry re-runs a pipeline of one task: that task's retries
    assert task.retries == 2 and task.timeout_seconds is None and task.deadlines == []
    assert conv.pipeline.dagrun_timeout_seconds == 7200  # type: ignore[union-attr]
    assert conv.pipeline.max_active_runs == 1  # type: ignore[union-attr]
    assert "jenkins-quiet-period:30" in conv.pipeline.tags  # type: ignore[union-attr]
    waived = {e.element for e in conv.ledger if e.outcome == "waived"}
    assert {"option timestamps", "option buildDiscarder"} <= waived
    assert conv.status == "converted"


def test_docker_agent_runs_on_fargate_with_the_image_and_label_maps_to_queue() -> None:
    conv = convert_job(job(stage("Build", sh("make")), agent=Agent("docker", image="python:3.11")))
    assert conv.tasks[0].spec.type == "container" and conv.tasks[0].spec.image == "python:3.11"
    assert conv.pipeline.tasks[0].executor == "fargate"  # type: ignore[union-attr]


def test_outputs_build_job_and_input() -> None:
    conv = convert_job(job(stage("Build", sh("make"), step("archiveArtifacts", artifacts="out/*.csv"),
                                 step("junit", "reports/*.xml"),
                                 step("build", job="downstream/load", wait=False,
                                      parameters=(Step("string", sp(5),
                                                       kwargs=(("name", "DAY"), ("value", "today"))),)),
                                 step("input", message="Ship it?"))))
    outs = conv.pipeline.shadow_outputs  # type: ignore[union-attr]
    assert [(o["source"], o["path"]) for o in outs] == [("artifacts", "out/*.csv"), ("junit", "reports/*.xml")]
    trig = [t for t in conv.pipeline.tasks if t.bindings.get("pipeline") == "downstream.load"]  # type: ignore[union-attr]
    assert trig and trig[0].bindings["conf"] == {"DAY": "today"} and trig[0].bindings["wait"] is False
    gates = [t for t in conv.pipeline.tasks if "message" in t.bindings]  # type: ignore[union-attr]
    assert gates[0].bindings["message"] == "Ship it?"


def test_parameters_identical_sets_across_jobs_share_one_template() -> None:
    params = (Param("RUN_DATE", "string", sp(1), default="2026-01-01"), Param("FULL", "boolean", sp(2), default="true"))
    a = convert_job(job(stage("x", sh("a")), name="a", parameters=params))
    b = convert_job(job(stage("y", sh("b")), name="b", parameters=params))
    assert a.templates[0].name == b.templates[0].name
    assert a.templates[0].spec.parameters[1].default is True


def test_groovy_interpolation_of_params_becomes_shell_references() -> None:
    script = GString(("load --day ", Interp("params.RUN_DATE"), " --n ", Interp("currentBuild.number"), " ",
                      Interp("1 + 2")))
    conv = convert_job(job(stage("Load", sh(script)), parameters=(Param("RUN_DATE", "string", sp(1)),)))
    command = conv.tasks[0].spec.command
    ref = re.fullmatch(r"load --day \$\{RUN_DATE\} --n \$\{(J2F_[0-9A-F]{10})\} 3", command)
    assert ref, command  # a declared parameter is in the task's environment; what Groovy computes now is pasted
    assert conv.pipeline.tasks[0].env[ref.group(1)]["build"] == "number"  # type: ignore[union-attr]
    assert conv.status == "converted"
    unknown = convert_job(job(stage("Load", sh(GString(("load ", Interp("readFile('x')")))))))
    assert unknown.status == "jenkins_only" and unknown.placeholders[0].element == "step sh"
    assert not any(t.spec.type == "shell" for t in unknown.tasks)  # never pasted into a shell task


def test_inline_sql_becomes_a_view_task_and_file_sql_needs_workspace(tmp_path: Path) -> None:
    conv = convert_job(job(stage("Agg", sh("psql -d wh -c \"insert into t select * from s where d = '${RUN_DATE}'\"")),
                           parameters=(Param("RUN_DATE", "string", sp(1), default="x"),)))
    view = conv.tasks[0]
    assert view.kind == "view_task" and view.spec.connection == "postgres_default"
    assert view.spec.sql == "insert into t select * from s where d = '{{ params.RUN_DATE }}'"
    no_ws = convert_job(job(stage("Agg", sh("snowsql -f sql/agg.sql"))))
    assert no_ws.tasks[0].kind == "concrete_task"
    (tmp_path / "sql").mkdir()
    (tmp_path / "sql" / "agg.sql").write_text("select 42", encoding="utf-8")
    with_ws = convert_job(job(stage("Agg", sh("snowsql -f sql/agg.sql"))), workspace=tmp_path)
    assert with_ws.tasks[0].kind == "view_task" and with_ws.tasks[0].spec.sql == "select 42"


def test_sql_with_jinja_markers_stays_shell() -> None:
    conv = convert_job(job(stage("Agg", sh("psql -c \"select '{{ x }}'\""))))
    assert conv.tasks[0].kind == "concrete_task"


def test_scm_polling_is_waived_as_ci_side_and_cron_is_resolved() -> None:
    trig = (Trigger("pollscm", sp(1), spec="H/5 * * * *"), Trigger("cron", sp(2), spec="H 3 * * *"))
    conv = convert_job(job(stage("x", sh("a")), triggers=trig))
    assert any(e.element == "trigger pollscm" and "CI-side" in e.reason for e in conv.ledger)
    assert conv.pipeline.schedule.cron[0].split()[1] == "3"  # type: ignore[union-attr]


def test_scripted_try_catch_finally_and_dynamic_if() -> None:
    tr = Step("try", sp(3), children=(("try", (sh("make"),)), ("catch e", (sh("./on-error"),)),
                                      ("finally", (sh("./tidy"),))))
    iff = step("if", body=None)
    conv = convert_job(job(flavor="scripted", steps=(step("node", body=(step("stage", "Build", body=(tr,)), iff)),)))
    assert conv.status == "jenkins_only"  # the `if` without a readable condition
    draft = conv.pipeline.draft_tasks  # type: ignore[union-attr]
    shapes = [(t.uses.name.split("-")[0], t.trigger_rule) for t in draft]
    assert shapes[:6] == [("sh.make", "all_success"), ("airflow.block", "all_done"), ("sh.on", "all_success"),
                          ("airflow.block", "all_done"), ("sh.tidy", "all_success"), ("airflow.block", "all_done")]
    assert draft[6].trigger_rule == "all_success"  # the if's placeholder: no rule leaks out of the try
    assert any(e.key == "if" for e in conv.placeholders)


def test_classification_signals_and_overrides() -> None:
    data = convert_job(job(stage("x", sh("spark-submit etl.py s3://bucket/in")), name="etl"))
    ci = convert_job(job(stage("x", sh("docker build -t x . && docker push x")), name="img"))
    assert data.classification == "data" and ci.classification == "cicd"
    over = convert_job(job(stage("x", sh("docker push x")), name="team/img"), overrides={"team/*": "data"})
    assert over.classification == "data" and "override" in over.class_reasons[0]


def test_an_internal_error_is_isolated_as_failed() -> None:
    bad = job(stage("x", sh("a")))
    object.__setattr__(bad, "stages", (None,))
    conv = convert_job(bad)
    assert conv.status == "failed" and "internal error" in conv.diagnostics[-1].message
