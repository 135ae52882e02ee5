"""Outputs a shadow run compares: `archiveArtifacts`, `junit`, `stash`, `publishHTML` and their publishers; the
checks Jenkins makes of them (an archive or stash whose pattern matches no file fails the build) and `unstash`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jenkins2flow.convert.context import Ctx, Handler, Scope
from jenkins2flow.convert.evaluate import Runtime, Static
from jenkins2flow.convert.handlers.nodes import element, key
from jenkins2flow.convert.rules import Rule
from jenkins2flow.convert.values import arg, as_list, boolean, text
from jenkins2flow.convert.workdir import folder
from jenkins2flow.ir import Plugin, Step

ARCHIVES = "jenkins2flow_runtime.archives"
CHECK_SPEC = {"type": "python", "callable": f"{ARCHIVES}:check_files",
              "description": "Fails when the pattern of an archiveArtifacts, junit or stash matches no file of the "
                             "run's workspace, as Jenkins fails the build (unless an empty set is allowed)."}
UNSTASH_SPEC = {"type": "python", "callable": f"{ARCHIVES}:unstash",
                "description": "Copies the files a Jenkins stash took in another folder to the folder unstash runs "
                               "in, as Jenkins restores them there."}


@dataclass(frozen=True, slots=True)
class Stash:
    """A stash as converted: the folder it was taken in (relative to the run's workspace) and what it selects."""

    directory: str
    includes: str
    excludes: str
    default_excludes: bool


def output(node: Step | Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """archiveArtifacts, junit, stash...: the files a shadow run compares (an `artifacts` shadow output); with an
    `allow_empty` rule, also a task that fails when the pattern matches no file (see `check`)."""
    after = ctx.frontier[-1] if ctx.frontier else ""  # the task after which the files exist (before the check)
    if rule.get("allow_empty"):
        check(node, rule, ctx, scope)
    raw = _field(node, str(rule.get("field", "includes")), rule)
    pattern = raw if isinstance(raw, str) else ""
    source = str(rule.get("output", "artifacts"))
    patterns = [p.strip() for p in pattern.split(",") if p.strip()]
    if not patterns or any(p.startswith("/") or ".." in p.split("/") for p in patterns):
        ctx.mapped(element(node), node.span, key(node),
                   f"{source} pattern {text(raw)!r} is not a literal relative path: not compared in shadow runs")
        return
    entry: dict[str, Any] = {"kind": "artifacts", "path": pattern, "source": source, "task": after}
    if isinstance(node, Step) and node.name == "stash":
        entry["name"] = f"stash {text(_field(node, 'name', rule) or '')}"
        entry["required"] = False  # stashes are not archived by Jenkins: compared only when both sides have them
    ctx.shadow_outputs.append(entry)
    ctx.mapped(element(node), node.span, key(node), f"kept as a shadow-run output ({source} {pattern!r})")


def _field(node: Step | Plugin, name: str, rule: Rule) -> Any:
    """A step's argument or a plugin's field; a step's first positional argument stands for the rule's `positional`
    field (stash 'x': the name), else for its `field`."""
    if isinstance(node, Plugin):
        return node.field(name)
    if name == rule.get("positional", rule.get("field")):
        return arg(node, name)
    return node.kwarg(name)


def _value(node: Step | Plugin, name: str, rule: Rule, scope: Scope) -> Static | Runtime | str:
    """A field as Jenkins reads it: a step's Groovy value (known now, or an expression tree the run evaluates), or
    a plugin's text; a string says why it cannot be followed."""
    raw = _field(node, name, rule)
    if raw is None:
        return Static("")
    if isinstance(node, Plugin):
        value = text(raw)
        return f"{name} {value!r} names a variable Jenkins expands" if "$" in value else Static(value)
    result = scope.ev.string(raw, node.span)
    if isinstance(result, Static | Runtime):
        return result
    return f"{name} {text(raw)!r}: {result.reason}"


def _flag(node: Step | Plugin, name: str, default: bool, rule: Rule, scope: Scope) -> bool | Runtime | str:
    """A boolean option known now (Groovy `true`, config.xml `true`), an expression tree the run decides, or a
    string saying why it is neither."""
    raw = _field(node, name, rule) if name else None
    if raw is None:
        return default
    result = Static(text(raw)) if isinstance(node, Plugin) else scope.ev.value(raw, node.span)
    known = boolean(result.value) if isinstance(result, Static) else None
    if known is not None:
        return known
    if isinstance(result, Runtime):
        return result
    return f"{name} {text(raw)!r} is not true or false"


def check(node: Step | Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """archiveArtifacts / ArtifactArchiver / junit / stash fail the build when their pattern matches no file (unless
    their `allow_empty` option is true): a task at their place that fails the same way (jenkins2flow_runtime.archives).
    `pattern_required` (the ArtifactArchiver): a blank pattern fails the build whatever the rest; `reports` (junit):
    the files are test reports the task reads as Jenkins does (no test case fails it, allow-empty or not; a failed test
    makes Jenkins' build UNSTABLE, which Airflow has not: flagged unless an `unstable_unless` option is true).
    A stash's folder is recorded (ctx.stashes) for the unstash steps after it."""
    what = element(node)
    includes, excludes = (_value(node, str(rule.get(f, "")), rule, scope) for f in ("field", "excludes"))
    required, reports = bool(rule.get("pattern_required")), bool(rule.get("reports"))
    if required and isinstance(includes, Static) and not str(includes.value).strip():
        _blank_pattern(node, rule, ctx, scope)
        return
    allow_empty = _flag(node, str(rule.get("allow_empty")), False, rule, scope)
    default_excludes = _flag(node, str(rule.get("default_excludes", "")), True, rule, scope)
    case_sensitive = _flag(node, str(rule.get("case_sensitive", "")), True, rule, scope)
    skip_old = _flag(node, str(rule.get("skip_old", "")), False, rule, scope)
    problems = [v for v in (includes, excludes, allow_empty, default_excludes, case_sensitive, skip_old)
                if isinstance(v, str)]
    problems += [f"{rule.get(f)} is decided in the run" for f, v in (("default_excludes", default_excludes),
                                                                   ("case_sensitive", case_sensitive))
                 if isinstance(v, Runtime)]
    if scope.cwd_word:
        problems.append(f"the folder {scope.cwd!r} is computed in the run")
    directory = folder(scope.workspace, scope.cwd)
    name = _stash_name(node, rule, scope)
    if name is not None:
        known = not problems and isinstance(includes, Static) and isinstance(excludes, Static)
        ctx.stashes[name] = Stash(directory, str(includes.value), str(excludes.value),  # type: ignore[union-attr]
                                  bool(default_excludes)) if known else None
    if reports:
        _unstable(node, rule, ctx, scope)
    if problems:
        ctx.approximated(what, node.span, "not checked for an empty file set (Jenkins fails the build when the "
                         f"pattern matches no file): {'; '.join(problems)}", key(node))
        return
    # allowed empty: nothing to check, unless the pattern (computed in the run) may be blank, or reports are read
    if allow_empty is True and not reports and not (required and isinstance(includes, Runtime)):
        return
    bindings: dict[str, Any] = {"step": key(node), "directory": directory}
    computed: dict[str, Any] = {}
    if isinstance(allow_empty, Runtime):
        computed["allow_empty"] = allow_empty.tree
    if isinstance(skip_old, Runtime):
        computed["skip_old_reports"] = skip_old.tree
    for field_name, value in (("includes", includes), ("excludes", excludes)):
        if isinstance(value, Runtime):
            computed[field_name] = value.tree
        else:
            bindings[field_name] = str(value.value)  # type: ignore[union-attr]
    if computed:
        bindings["computed"] = computed
    if allow_empty is True:
        bindings["allow_empty"] = True
    if required and "includes" in computed:
        bindings["pattern_required"] = True
    if reports:
        bindings["read_reports"] = True
    if not default_excludes:
        bindings["default_excludes"] = False
    if not case_sensitive:
        bindings["case_sensitive"] = False
    if skip_old is True:
        bindings["skip_old_reports"] = True
    bindings.update(_result(rule, ctx, scope, skip_old is not False or reports))
    shown = bindings.get("includes") or ("(computed)" if "includes" in computed else "**")
    tid = ctx.emit("airflow.check-files", CHECK_SPEC, scope, label="check_files", named=True, bindings=bindings,
                   title=f"check {key(node).rsplit('.', 1)[-1]} {shown}")
    if isinstance(node, Plugin):  # a publisher: its task is one of the build's ends (convert.freestyle.publishers)
        ctx.publisher_ends.append(tid)
    empty = "allowed" if allow_empty is True else "fails"
    ctx.mapped(what, node.span, key(node), (f"reads the test reports {shown!r} as Jenkins does: no report or no test "
                                            f"case {empty}, a report that is not XML and not *.xml fails"
                                            if reports else f"fails when {shown!r} matches no file")
               + (f" in {directory!r}" if directory else "")
               + (" (a blank pattern fails)" if "pattern_required" in bindings else "")
               + (" or only reports older than the run (skipOldReports)" if skip_old is not False else "")
               + (" (unless the build result is already FAILURE)" if "quiet_when_failed" in bindings else ""))


def _blank_pattern(node: Step | Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """ArtifactArchiver.perform: an empty pattern (its constructor trims it) fails the build before anything else
    is looked at ("No artifacts are configured for archiving"), so the task fails whatever the run."""
    bindings = {"step": key(node), "directory": folder(scope.workspace, scope.cwd), "includes": "",
                "pattern_required": True}
    tid = ctx.emit("airflow.check-files", CHECK_SPEC, scope, label="check_files", named=True, bindings=bindings,
                   title=f"check {key(node).rsplit('.', 1)[-1]} (no pattern)")
    if isinstance(node, Plugin):
        ctx.publisher_ends.append(tid)
    ctx.mapped(element(node), node.span, key(node), f"{rule.get('field')} is empty: fails the run there, as Jenkins "
               "fails the build (No artifacts are configured for archiving)")


def _unstable(node: Step | Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """junit: a failed test case (an empty or malformed *.xml report is one) makes Jenkins' build UNSTABLE and the
    build goes on; Airflow has no UNSTABLE result, so the check task succeeds (it logs them): flagged, unless one of
    the rule's `unstable_unless` options (skipMarkingBuildUnstable...) is true."""
    options = [str(o) for o in rule.get("unstable_unless", []) or []]
    if any(_flag(node, o, False, rule, scope) is True for o in options):
        return
    ctx.approximated(f"{element(node)} test failures", node.span, "a failed test case in the reports (an empty or "
                     "malformed *.xml report counts as one) makes Jenkins' build UNSTABLE; Airflow has no UNSTABLE "
                     "result: the check task logs them and succeeds, and the run ends success"
                     + (f" (set {options[0]}: true to keep Jenkins' result SUCCESS)" if options else ""), key(node))
    ctx.unstable_source(element(node), node.span)


def _result(rule: Rule, ctx: Ctx, scope: Scope, reads: bool) -> dict[str, Any]:
    """What a check reads of Jenkins' build result so far, where it can be FAILURE while the build goes on (a post
    block after a failure, after a catchError): the ArtifactArchiver (`quiet_when_failed` rule) does not fail on no
    file then, junit does not fail on reports without a test case (or only old ones, skipOldReports)."""
    quiet = bool(rule.get("quiet_when_failed"))
    if not (quiet or reads) or not (scope.result_tasks or ctx.results):
        return {}
    out: dict[str, Any] = {"quiet_when_failed": True} if quiet else {}
    if scope.result_tasks:
        out["result_tasks"] = list(scope.result_tasks)
    if ctx.results:
        out["caught_blocks"] = [dict(r) for r in ctx.results]
    return out


def _stash_name(node: Step | Plugin, rule: Rule, scope: Scope) -> str | None:
    """The name of a stash (None for other steps); "" when it is not known now."""
    if not (isinstance(node, Step) and node.name == "stash"):
        return None
    name = _value(node, "name", rule, scope)
    return str(name.value) if isinstance(name, Static) else ""


def unstash(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """`unstash name` restores the stash's files relative to the folder it runs in. Each Airflow run shares one
    workspace across its tasks: in the folder the stash was taken in, the files are already there (waived); in
    another, a task copies them there. A name or stash not known now is flagged."""
    what = element(node)
    value = scope.ev.string(arg(node, "name", ""), node.span)
    name = str(value.value) if isinstance(value, Static) else ""
    stash = ctx.stashes.get(name) if name else None
    directory = folder(scope.workspace, scope.cwd)
    if not name or stash is None or scope.cwd_word:
        why = ("the stash name is computed in the run" if not name
               else f"the folder {scope.cwd!r} is computed in the run" if scope.cwd_word
               else f"stash {name!r} is not one converted before it (or its folder or pattern is computed in the run)")
        ctx.approximated(what, node.span, f"{why}: nothing is copied, the files are wherever the stash took them in "
                         "the run's shared workspace", key(node))
        return
    if stash.directory == directory:
        ctx.waived(what, node.span, f"stash {name!r} was taken in the same folder, and each Airflow run shares one "
                   "workspace across its tasks, so the stashed files are already there", key(node))
        return
    bindings: dict[str, Any] = {"name": name, "source": stash.directory, "target": directory,
                                "includes": stash.includes, "excludes": stash.excludes}
    if not stash.default_excludes:
        bindings["default_excludes"] = False
    ctx.emit("airflow.unstash", UNSTASH_SPEC, scope, label="unstash", named=True, bindings=bindings,
             title=f"unstash {name}")
    ctx.mapped(what, node.span, key(node), f"copies the files of stash {name!r} from {stash.directory or '.'!r} to "
               f"{directory or '.'!r}")


# warnings-ng quality gate criticalities (QualityGate.QualityGateCriticality) -> Jenkins' build result when reached;
# NOTE and ERROR mark the stage only; `unstable: true | false` (older releases) is UNSTABLE | FAILURE; the default
# criticality is UNSTABLE
GATE_RESULTS = {"UNSTABLE": "UNSTABLE", "FAILURE": "FAILURE", "NOTE": "", "ERROR": ""}


def _gate_result(gate: Any, scope: Scope, span: Any) -> str:
    """The build result a warnings-ng quality gate sets when reached: UNSTABLE, FAILURE, "" (the stage only) or
    "UNSTABLE?" (only the run knows: it may be UNSTABLE)."""
    if not isinstance(gate, dict):
        return "UNSTABLE?"
    if "criticality" in gate:
        found = scope.ev.value(gate["criticality"], span)
        if isinstance(found, Static) and str(found.value).upper() in GATE_RESULTS:
            return GATE_RESULTS[str(found.value).upper()]
        return "UNSTABLE?"
    if "unstable" in gate:
        found = scope.ev.truth(gate["unstable"], span)
        return ("UNSTABLE" if found.value else "FAILURE") if isinstance(found, Static) else "UNSTABLE?"
    return "UNSTABLE"


def record_issues(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """warnings-ng `recordIssues`: its reports stay CI-side (the rule's `reason`), but a quality gate reached sets
    Jenkins' build result (UNSTABLE by default, FAILURE, or only the stage's mark), which the run does not evaluate:
    flagged, and a gate that can set UNSTABLE is an UNSTABLE source (convert.unstable)."""
    gates = as_list(node.kwarg("qualityGates")) if node.kwarg("qualityGates") is not None else []
    if not gates:
        ctx.waived(element(node), node.span, str(rule.get("reason")), key(node))
        return
    results = sorted({r.rstrip("?") for r in (_gate_result(g, scope, node.span) for g in gates) if r})
    if not results:
        ctx.waived(element(node), node.span, f"{rule.get('reason')}; its quality gates (NOTE / ERROR) mark the stage "
                   "only, not the build's result", key(node))
        return
    ctx.approximated(element(node), node.span, f"{len(gates)} quality gate(s): when one is reached Jenkins sets the "
                     f"build {' or '.join(results)} (warnings-ng); the run does not evaluate them: it goes on and "
                     "its result does not change", key(node))
    if "UNSTABLE" in results:
        ctx.unstable_source(f"{element(node)} qualityGates", node.span)


HANDLERS: dict[str, Handler] = {"output": output, "unstash": unstash, "record_issues": record_issues}
