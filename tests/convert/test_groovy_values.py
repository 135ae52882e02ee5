"""Groovy values through the conversion (issue 12): what is static is computed when converting, what depends on the
run becomes an expression tree the runtime evaluates (task env, gate conditions, trigger parameters, notification
fields), what neither can be is flagged and never pasted into a shell. Each test reads the property a golden case
(tests/convert/golden) is about, and evaluates the trees as the runtime will."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from jenkins2flow_runtime.expressions import Context, as_text, condition, environment, evaluate

from jenkins2flow.convert import convert_job
from jenkins2flow.convert.conversion import Conversion
from jenkins2flow.convert.rules import load_rules
from jenkins2flow.errors import UsageError
from jenkins2flow.parse.jenkinsfile import parse_jenkinsfile
from tests.convert.helpers import own_provided, work
from tests.convert.test_golden import convert_case


def _convert(text: str, name: str = "t") -> Conversion:
    return convert_job(parse_jenkinsfile(text, "Jenkinsfile", name), own_provided())


def _tasks(conv: Conversion) -> dict[str, Any]:
    """The converted tasks by id (a jenkins_only job's draft: its pipeline runs the whole Jenkins job)."""
    assert conv.pipeline is not None
    return {t.id: t for t in work(conv)}


def _command(conv: Conversion, task: Any) -> str:
    return str(next(d for d in conv.tasks if d.name == task.uses.name).spec.command)


def _shell(conv: Conversion) -> dict[str, str]:
    """task id -> the command of every shell task."""
    return {t.id: _command(conv, t) for t in _tasks(conv).values()
            if getattr(next(d for d in conv.tasks if d.name == t.uses.name).spec, "command", "")}


def _env(task: Any, ctx: Context) -> dict[str, str]:
    """The task's environment as the runtime computes it (strings as written, trees evaluated)."""
    trees = {k: v for k, v in task.env.items() if not isinstance(v, str)}
    return {**{k: v for k, v in task.env.items() if isinstance(v, str)}, **environment(trees, ctx)}


def _run(command: str, env: dict[str, str]) -> str:
    """The command's references expanded as the shell expands them (for the variables the task receives)."""
    return re.sub(r"\$\{(\w+)\}", lambda m: env.get(m.group(1), ""), command)


# ---- class 3: values Groovy computes -------------------------------------------------------------------------------


def test_def_values_and_groovy_methods_are_pasted_as_groovy_pastes_them() -> None:
    conv = convert_case("values_def_gstring")
    cmds = _shell(conv)
    assert cmds["build"] == "make ORDERS-A_B_C LIMIT=180 PARTS=[a, b, c]"
    assert cmds["build_2"] == "deploy --region ${REGION} --full ${FULL} --build ${BUILD_NUMBER}"
    task = _tasks(conv)["build_3"]
    shown = _run(cmds["build_3"], _env(task, Context(params={"REGION": "eu"})))
    assert shown == "echo 'orders in '\"EU\"''"  # a run-time value inside single quotes: quoted for the shell
    assert cmds["build_4"] == 'echo "$REGION stays for the shell"' and conv.status == "converted"


def test_environment_and_with_env_values_reach_their_tasks_and_end_with_their_block() -> None:
    conv = convert_case("values_environment")
    load, after = _tasks(conv)["load"], _tasks(conv)["load_2"]
    ctx = Context(params={"TARGET": "prod", "LABEL": "param"}, env={"WORKSPACE": "/ws", "LABEL": "param"})
    assert _env(load, ctx) == {"OUT": "/ws/out", "LABEL": "env-prod", "RETRIES": "3", "DEST": "/ws/out/load",
                               "DAY": "prod-day", "STATIC": "1"}
    assert set(after.env) == {"OUT", "LABEL", "RETRIES", "DEST"}  # withEnv's variables end with its block
    assert [s.env for s in next(d for d in conv.tasks if d.name == load.uses.name).spec.secrets] == ["TOKEN"]


def test_a_computed_dir_is_cd_to_its_value_never_to_its_source() -> None:
    conv = convert_case("values_dir_computed")
    cmds = list(_shell(conv).values())
    assert cmds[0].startswith('mkdir -p -- "etl/${job}" && cd -- "etl/${job}" || exit 1\n')
    assert cmds[1].startswith("mkdir -p -- \"etl/${job}\"/'sub dir' && cd -- \"etl/${job}\"/'sub dir' || exit 1")
    assert cmds[2].startswith("mkdir -p -- etl/static && cd -- etl/static ||") and "cd -- /tmp/etl ||" in cmds[3]
    assert not any("params." in c or '"+' in c for c in cmds) and conv.status == "converted"


def test_credential_ids_from_env_and_def_are_resolved_and_a_run_time_one_is_flagged() -> None:
    conv = convert_case("values_credentials_ids")
    ids = {(c.credentials_id, c.binding) for c in conv.credentials}
    assert ids == {("warehouse-db", "usernamePassword"), ("api-prod", "string")}
    [flag] = conv.placeholders
    assert flag.span.line == 11 and "only known in the run" in flag.reason


def test_build_parameters_static_in_the_conf_and_run_time_ones_as_trees() -> None:
    conv = convert_case("values_build_parameters")
    trigger = _tasks(conv)["main_trigger"]
    assert trigger.bindings["conf"] == {"KIND": "static-nightly", "FULL": True}
    assert trigger.bindings["pipeline"] == "downstream.load-nightly" and trigger.bindings["wait"] is False
    ctx = Context(params={"DAY": "2024-05-01"}, outputs={"main": {"stdout": " 1.2.3\n"}})
    values = {k: evaluate(t, ctx) for k, t in trigger.bindings["conf_values"].items()}
    assert values == {"DAY": "2024-05-01", "VERSION": "1.2.3"}
    assert trigger.depends_on == ["main"]  # after the task whose output it reads


def test_notification_fields_static_resolved_and_run_time_ones_as_trees() -> None:
    conv = convert_case("values_notifications")
    assert conv.pipeline is not None
    [slack] = conv.pipeline.notifications  # the mail is a task of its post block: Jenkins fails if it cannot send
    [mail] = [t.bindings["notification"] for t in conv.pipeline.tasks if t.uses.name == "airflow.notify"]
    assert mail["to"] == ["data-team@example.com"] and "to" not in mail["values"]  # env.TEAM is written in the file
    ctx = Context(params={"REGION": "eu"})
    # Jenkins' tokens by mappings notifications.tokens, the parameter computed when the notifier sends
    assert as_text(mail["values"]["subject"], ctx) == "values_notifications #${AIRFLOW_BUILD_NUMBER} in EU"
    assert as_text(slack.values["body"], ctx) == "done: values_notifications for eu"
    assert "body" not in mail["values"] and "${currentBuild.durationString}" in mail["body"]  # sent as written...
    [flag] = conv.approximations  # ... and flagged
    assert flag.element == "step mail" and "durationString" in flag.reason


def test_timeout_and_retry_numbers_come_from_the_evaluator() -> None:
    conv = convert_case("values_timeout_retry")
    tasks = _tasks(conv)
    assert conv.pipeline is not None and conv.pipeline.dagrun_timeout_seconds == 2 * 30 * 60  # options: 2*30 min
    [block] = tasks["run"].deadlines  # timeout(3 * 60) minutes, shared by its block's tasks
    assert block.seconds == 3 * 60 * 60 and tasks["run"].retries == 2  # retry(count: attempts), def attempts = 3
    assert tasks["run_2"].timeout_seconds == 90 and tasks["run_2"].retries == 1  # options: retry(1 + 1)
    flags = {e.span.line: e.reason for e in conv.approximations}
    assert "not a number known at conversion time" in flags[14]  # retry(params.N as Integer): flagged, not guessed


def test_values_the_converter_cannot_compute_are_flagged_and_never_pasted() -> None:
    conv = convert_case("values_unknown_flagged")
    assert [(e.element, e.span.line) for e in conv.placeholders] == [("step sh", 4), ("step dir", 5)]
    [echo] = conv.approximations  # only the log would differ: printed as written, flagged
    assert (echo.element, echo.span.line) == ("step echo", 6)
    assert all("readFile" in e.reason and "Jenkinsfile:3:13" in e.reason for e in (*conv.placeholders, echo))
    assert sorted(_shell(conv).values()) == ["make", "printf '%s\\n' 'config: ${cfg}'", "this one is fine"]


def test_static_int_reads_whole_numbers_only() -> None:
    from jenkins2flow.convert.context import Scope
    from jenkins2flow.convert.evaluate import Evaluator, Unknown
    from jenkins2flow.ir import Expr, Span

    scope = Scope(ev=Evaluator(params=frozenset({"N"})).bind("n", 4))
    at = Span("Jenkinsfile", 3, 5)
    assert scope.static_int(Expr("n * 15", at), at) == 60 and scope.static_int("7", at) == 7
    for value, reason in ((Expr("params.N", at), "depends on the run"), (Expr("2.5", at), "not a whole number"),
                          (Expr("m", at), "'m' is not a variable")):
        found = scope.static_int(value, at)
        assert isinstance(found, Unknown) and reason in found.reason


# ---- class 4: sh returnStdout / returnStatus -------------------------------------------------------------------------


def test_return_stdout_and_status_are_tasks_whose_outputs_later_steps_read() -> None:
    conv = convert_case("outputs_stdout_status")
    tasks, cmds = _tasks(conv), _shell(conv)
    assert (tasks["main"].outputs, tasks["main_3"].outputs, tasks["main_4"].outputs) == (["stdout"], ["status"],
                                                                                        ["stdout"])
    ctx = Context(outputs={"main": {"stdout": " hello \n"}, "main_3": {"status": 1},
                           "main_4": {"stdout": "abc123\n"}})
    assert _run(cmds["main_2"], _env(tasks["main_2"], ctx)) == "echo hello > out.txt"  # trimmed by the Groovy
    assert _env(tasks["main_5"], ctx) == {"SHA": "abc123"}  # env.SHA set from an output, for every later task
    assert _run(cmds["main_6"], _env(tasks["main_6"], ctx)) == "printf '%s\\n' \"rc=1\""
    assert tasks["a"].outputs == ["stdout"] and tasks["a_2"].depends_on == ["a"]
    later = Context(outputs={**ctx.outputs, "a": {"stdout": "17\n"}})
    assert _run(cmds["a_2"], _env(tasks["a_2"], later)) == "echo 17"
    assert conv.status == "converted"


def test_a_value_one_parallel_branch_sets_is_not_known_in_another() -> None:
    conv = _convert("node {\n parallel a: { x = sh(returnStdout: true, script: 'date') }, b: { sh \"echo ${x}\" }\n"
                    " sh \"echo ${x}\"\n}")
    [inside, after] = conv.placeholders  # which branch runs first is only known in the run
    assert inside.span.line == 2 and "'x' is not a variable" in inside.reason
    assert after.span.line == 3 and "set by parallel branches" in after.reason


def test_an_environment_value_from_sh_and_values_set_in_stages() -> None:
    conv = convert_case("outputs_in_environment")
    tasks = _tasks(conv)
    assert tasks["environment"].outputs == ["stdout"] and conv.status == "converted"
    publish = tasks["publish"]
    outputs = {"environment": {"stdout": "abc\n"}, "version": {"stdout": "1.2\n"}}
    main = _run(_command(conv, publish), _env(publish, Context(env={"BRANCH_NAME": "main"}, outputs=outputs)))
    dev = _run(_command(conv, publish), _env(publish, Context(env={"BRANCH_NAME": "dev"}, outputs=outputs)))
    assert main == "publish abc 1.2 v1.2" and dev == "publish abc 1.2 null"  # the Tag stage ran only on main


def test_return_status_lets_the_task_succeed_and_inside_a_docker_agent_is_approximated() -> None:
    conv = _convert("pipeline { agent { docker 'alpine:3' }\n stages { stage('s') { steps { script {\n"
                    "def rc = sh(returnStatus: true, script: 'false')\n sh \"echo ${rc}\" } } } } }")
    assert [t.outputs for t in _tasks(conv).values()] == [["status"], []]
    [entry] = conv.approximations
    assert entry.element == "step sh" and "Fargate" in entry.reason


# ---- class 6: when and if ------------------------------------------------------------------------------------------


def _gate(conv: Conversion, task_id: str) -> dict[str, Any]:
    return dict(_tasks(conv)[task_id].bindings["condition"])


def test_when_directives_are_trees_the_gate_decides_in_the_run() -> None:
    conv = convert_case("gates_when_directives")
    main, tag, release = Context(env={"BRANCH_NAME": "main"}), Context(env={"TAG_NAME": "v12"}), Context(env={})
    assert condition(_gate(conv, "main_gate"), main) and not condition(_gate(conv, "main_gate"), release)
    assert condition(_gate(conv, "tag_gate"), tag) and not condition(_gate(conv, "tag_gate"), main)
    assert condition(_gate(conv, "release_gate"), tag) and not condition(_gate(conv, "release_gate"),
                                                                         Context(env={"TAG_NAME": "va"}))
    assert condition(_gate(conv, "prod_gate"), Context(params={"ENV": "prod"}))
    assert not condition(_gate(conv, "prod_gate"), Context(params={"ENV": "qa"}))
    either = _gate(conv, "either_gate")
    assert condition(either, main) and not condition(either, Context(env={"BRANCH_NAME": "dev", "ENV": "prod"}))
    tasks = _tasks(conv)
    assert "static_gate" not in tasks and "static" in tasks  # DEPLOY = 'yes' in the file: always
    assert not any(t.startswith("never") for t in tasks)  # expression { return false }: never
    assert tasks["ask_input"].depends_on == ["ask_gate"]  # beforeInput: the gate before the input
    changes = _gate(conv, "changes_gate")
    with pytest.raises(Exception, match="gates_when_directives.Jenkinsfile:20:31: not converted: when changeset"):
        condition(changes, main)
    assert [e.element for e in conv.approximations] == ["when"]


def test_input_is_asked_before_the_condition_unless_before_input() -> None:
    conv = _convert("pipeline { agent any\n stages { stage('Ship') {\n when { branch 'main' }\n"
                    " input { message 'Ship?' }\n steps { sh 'ship' } } } }")
    tasks = _tasks(conv)
    assert tasks["ship_gate"].depends_on == ["ship_input"] and tasks["ship"].depends_on == ["ship_gate"]


def test_before_agent_decides_without_the_stage_environment() -> None:
    text = ("pipeline { agent any\n parameters { string(name: 'GO') }\n stages { stage('S') {\n"
            " environment { GO = 'yes' }\n"
            " when { BEFORE environment name: 'GO', value: 'yes' }\n steps { sh 'go' } } } }")
    after = _tasks(_convert(text.replace("BEFORE ", "")))
    before = _tasks(_convert(text.replace("BEFORE", "beforeAgent true;")))
    assert "s_gate" not in after  # the stage's environment is set: decided now, always true
    gate = before["s_gate"].bindings["condition"]  # decided in the run, where GO is not set before the stage
    assert not condition(gate, Context(env={})) and condition(gate, Context(env={"GO": "yes"}))


def test_scripted_if_gates_and_the_values_its_branches_set() -> None:
    conv = convert_case("gates_scripted_if")
    tasks, cmds = _tasks(conv), _shell(conv)
    full, quick = Context(params={"MODE": "full"}), Context(params={"MODE": "quick"})
    assert condition(_gate(conv, "main_gate"), full) and condition(_gate(conv, "main_gate_2"), quick)
    assert _run(cmds["main_2"], _env(tasks["main_2"], full)) == "build --tag full"
    assert _run(cmds["main_2"], _env(tasks["main_2"], quick)) == "build --tag latest"
    assert not condition(_gate(conv, "main_gate_3"), Context(outputs={"main_3": {"status": 0}}))
    assert "static then" in cmds.values() and "static else" not in cmds.values()  # 1 + 1 == 2, decided now
    assert _gate(conv, "main_gate_4")["op"] == "fail" and [e.span.line for e in conv.approximations] == [11]


def test_a_value_grown_past_the_runtime_limits_by_ifs_is_flagged_not_a_failed_conversion() -> None:
    """An `if` whose arms both extend a variable holds the old value twice (`c ? 'x' + s : 'y' + s`): nine of them
    pass the runtime's 4000 parts. The value is then Unknown (the step using it a placeholder), never an invalid
    task (ROCm composable_kernel's cmake_build failed the conversion)."""
    ifs = "\n".join("        if (params.B) { s = 'x' + s } else { s = 'y' + s }" for _ in range(9))
    conv = _convert(f"node {{\n    stage('s') {{\n        def s = params.A\n{ifs}\n"
                    "        sh \"echo ${s}\"\n    }\n}\n")
    assert conv.status != "failed"
    [sh] = [e for e in conv.placeholders if e.element == "step sh"]
    assert "more than 4000 parts" in sh.reason


def test_matrix_when_per_cell_now_a_gate_for_all_cells_or_a_condition_per_cell() -> None:
    conv = convert_case("gates_matrix_when")
    tasks = _tasks(conv)
    no_windows = [f"OS={o} PY={p}" for o in ("linux", "mac") for p in ("3.10", "3.11")]
    assert [" ".join(f"{k}={v}" for k, v in c.items()) for c in tasks["build"].matrix] == no_windows
    assert [c["OS"] for c in tasks["linux_only"].matrix] == ["linux", "linux"]
    assert tasks["slow_gate"].matrix == [] and tasks["slow"].depends_on == ["slow_gate"]  # the same for all cells
    cond = tasks["only_one"].condition
    assert condition(cond, Context(params={"ONLY": "mac"}, env={"OS": "mac"}))
    assert not condition(cond, Context(params={"ONLY": "mac"}, env={"OS": "linux"}))
    assert [e.element for e in conv.approximations] == ["when (stage 'Only one')"]


# ---- class 10: Jenkins' variables ----------------------------------------------------------------------------------


def test_jenkins_variables_are_known_to_the_run_and_read_directly() -> None:
    conv = convert_case("jenkins_variables")
    cmds = list(_shell(conv).values())
    assert cmds[0].startswith("echo ${BUILD_NUMBER} ${JOB_NAME} ${WORKSPACE} ${J2F_")  # BRANCH_NAME: when given
    assert conv.status == "converted" and not conv.placeholders and not conv.approximations
    shown = _run(cmds[1], _env(_tasks(conv)["show_2"], Context(env={"JOB_NAME": "a/b"}, build={"number": 3})))
    assert shown == "printf '%s\\n' \"building a » b #3 (3)\""


# ---- the rules -----------------------------------------------------------------------------------------------------


def test_a_when_table_in_user_mappings_is_refused_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text("when:\n  changeset: {handler: gate}\n", encoding="utf-8")
    with pytest.raises(UsageError, match="registry 'when' is no longer read: `when` conditions are decided by"):
        load_rules([tmp_path])


# ---- scopes: what a block assigns --------------------------------------------------------------------------------


def test_assignments_carry_out_of_blocks_and_def_locals_do_not() -> None:
    conv = _convert("node {\n stage('a') { def local = 'l'; glob = 'g'; env.E = 'e' }\n"
                    " withEnv(['W=w']) { sh 'inside' }\n"
                    " sh \"echo ${glob} ${env.E}\"\n sh \"echo ${local}\"\n}")
    cmds = list(_shell(conv).values())
    assert cmds == ["inside", "echo g e"] and _tasks(conv)["main"].env == {"E": "e", "W": "w"}
    assert _tasks(conv)["main_2"].env == {"E": "e"}  # withEnv's W ended with its block
    [flag] = conv.placeholders
    assert flag.span.line == 5 and "'local' is not a variable" in flag.reason  # a def is local to its closure


def test_a_function_gets_its_arguments_and_the_globals_not_the_callers_locals() -> None:
    conv = _convert("def deploy(target, n = 2) { sh \"deploy ${target} ${n} ${region}\"; done = target }\n"
                    "region = 'eu'\nnode { def mine = 'x'\n deploy('prod')\n sh \"echo ${done} ${mine}\" }")
    assert list(_shell(conv).values()) == ["deploy prod 2 eu", "echo prod x"]
    assert conv.status == "converted"


def test_named_arguments_are_the_functions_map_parameter() -> None:
    conv = _convert("def build(Map conf = [:]) {\n"
                    " if (!conf.get('no_reboot', false)) { sh \"reboot ${conf.target}\" }\n"
                    " sh \"make ${conf.target}\"\n}\n"
                    "node { build(target: 'all', no_reboot: true); build(target: 'x') }")
    assert list(_shell(conv).values()) == ["make all", "reboot x", "make x"]  # static: decided when converting
    assert conv.status == "converted"


# ---- class 3: env.X is what the run sets, never the text "null" ---------------------------------------------------


def test_env_reads_of_what_the_run_sets_are_values_of_the_run() -> None:
    conv = convert_case("values_env_reads")
    tasks, cmds = _tasks(conv), _shell(conv)
    run = Context(env={"BUILD_NUMBER": "7", "STAGE_NAME": "Call", "HOME": "/home/w", "JOB_NAME": "etl"})
    assert _run(cmds["call"], {**run.env, **_env(tasks["call"], run)}) == "echo warehouse 7 Call /home/w"
    with pytest.raises(Exception, match="env.JENKINS_URL is not set in this run: the runtime sets JENKINS_URL only"):
        _env(tasks["call_2"], run)  # no Jenkins known: the task fails, never `curl nulljob/...`
    known = Context(env={**run.env, "JENKINS_URL": "https://ci.example.com/"})
    assert _run(cmds["call_2"], {**known.env, **_env(tasks["call_2"], known)}) == \
        "curl -fsS https://ci.example.com/job/etl/api/json"
    [finding] = conv.lint
    assert finding.task == "call_2" and "env.JENKINS_URL may be unset" in finding.message


def test_env_of_a_name_nothing_sets_is_flagged_until_mappings_say_where_it_comes_from(tmp_path: Path) -> None:
    text = ("node { stage('s') {\n sh \"echo ${env.SOME_CASC_ENV_VAR}\"\n"
            " if (env.FEATURE == 'on') { sh 'feature' }\n} }\n")
    alone = _convert(text)
    assert alone.status == "jenkins_only" and "null" not in "".join(_shell(alone).values())
    [placeholder] = alone.placeholders
    assert "env.SOME_CASC_ENV_VAR is set by nothing the converter sees" in placeholder.reason
    assert "`agents: {env: {SOME_CASC_ENV_VAR: VALUE}}`" in placeholder.reason
    assert str(placeholder.span) == "Jenkinsfile:2:2"
    assert _gate(alone, "s_gate")["op"] == "fail"  # the `if` fails closed on env.FEATURE (approximated)
    (tmp_path / "env.yaml").write_text("agents: {env: {SOME_CASC_ENV_VAR: casc, FEATURE: null}}\n")
    given = convert_job(parse_jenkinsfile(text, "Jenkinsfile", "t"), load_rules([tmp_path]))
    assert given.status == "converted", given.reasons
    assert _shell(given)["s"] == "echo casc"
    gate = _gate(given, "s_gate")  # FEATURE: the workers' environment has it, read in the run
    assert condition(gate, Context(env={"FEATURE": "on"})) and not condition(gate, Context(env={}))


def test_a_when_environment_of_a_name_nothing_sets_fails_closed() -> None:
    conv = _convert("pipeline { agent any\n stages { stage('S') {\n when { environment name: 'GLOBAL_FLAG', "
                    "value: 'yes' }\n steps { sh 'go' } } } }")
    assert _gate(conv, "s_gate")["op"] == "fail" and [e.element for e in conv.approximations] == ["when"]
