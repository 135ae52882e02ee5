"""Declarative `when` conditions as expression trees the runtime gate evaluates (jenkins2flow_runtime.expressions).

- `branch 'p'`, `branch pattern: 'p', comparator: 'REGEXP'` -> `{"op": "branch", ...}`: BRANCH_NAME, else
  GIT_LOCAL_BRANCH; GLOB is Ant-style and case-insensitive, as Jenkins' is.
- `buildingTag()` -> `{"op": "tag", "pattern": ""}`: TAG_NAME is set.
- `tag 'p'`, `tag pattern: 'p', comparator: ...` -> `{"op": "tag", ...}`: TAG_NAME matches.
- `changeRequest` with id, target, branch, fork, title, author, authorDisplayName, authorEmail, comparator ->
  `{"op": "changeRequest", ...}`: CHANGE_ID is set and every filter matches its CHANGE_* variable; `url` is
  accepted and ignored, as Jenkins does.
- `environment name: 'N', value: 'v'` (ignoreCase) -> `{"op": "environment", ...}`.
- `equals expected: a, actual: b` -> `{"op": "==", ...}`, both evaluated as Groovy values.
- `expression { ... }` -> the closure's value (def, assignments, return, expressions), Groovy truth.
- `triggeredBy 'TimerTrigger'`, `triggeredBy cause: 'UserIdCause', detail: 'bob'` -> `{"op": "triggeredBy", ...}`
  against the run's causes (jenkins_env.causes).
- `not`, `allOf`, `anyOf` -> `not`, `and`, `or`.
- `changelog`, `changeset` -> Unknown: they read the commits of the build, which an Airflow run does not know.
- `isRestartedRun` and anything else -> Unknown.

An unknown comparator name falls back to the directive's default, as Jenkins' Comparator.get does. Patterns and
names must be static strings. The result is Static (decided now), Runtime (a boolean tree) or Unknown;
`gate_tree` turns any of them into the tree a gate evaluates, an Unknown one failing closed with its place.
"""

from __future__ import annotations

from typing import Any

from jenkins2flow_runtime import groovy
from jenkins2flow_runtime.expressions import COMPARATORS, ExpressionError, check

from jenkins2flow.convert.evaluate.results import Result, Runtime, Static, Unknown, Values, node
from jenkins2flow.ir import Closure, Span, When, WhenBlock

NEEDS_COMMITS = {"changelog": "commit messages", "changeset": "changed files"}


def when_block(ev: Values, block: WhenBlock) -> Result:
    """All conditions of a stage's `when` (Jenkins ANDs them)."""
    return _all(ev, "and", block.conditions, block.span)


def when_condition(ev: Values, w: When) -> Result:
    """One `when` condition as Static(bool), Runtime(boolean tree) or Unknown."""
    handler = _DIRECTIVES.get(w.kind)
    if handler is None:
        if w.kind in NEEDS_COMMITS:
            return Unknown(f"when {w.kind} reads the {NEEDS_COMMITS[w.kind]} of the build's commits, which an "
                           "Airflow run does not know", w.span)
        return Unknown(f"when {w.kind!r} is not converted", w.span)
    return handler(ev, w)


def gate_tree(result: Result) -> dict[str, Any]:
    """The boolean tree a gate evaluates: an Unknown condition becomes a node that stops the run naming its place."""
    if isinstance(result, Static):
        return {"lit": groovy.truth(result.value)}
    if isinstance(result, Runtime):
        return result.tree
    return result.tree()


def _all(ev: Values, op: str, items: tuple[When, ...], span: Span) -> Result:
    parts = [when_condition(ev, w) for w in items]
    for p in parts:
        if isinstance(p, Unknown):
            return p
    if all(isinstance(p, Static) for p in parts):
        values = [bool(p.value) for p in parts]  # type: ignore[union-attr]
        return Static(all(values) if op == "and" else any(values))
    if len(parts) == 1:
        return parts[0]
    return _tree({"op": op, "args": [gate_tree(p) for p in parts], "at": str(span)}, span)


def _tree(tree: dict[str, Any], span: Span) -> Result:
    try:
        check(tree)
    except ExpressionError as exc:  # a pattern the runtime would refuse
        return Unknown(exc.reason, span)
    return Runtime(tree)


def _arg(w: When, key: str) -> Any:
    for k, v in w.kwargs:
        if k == key:
            return v
    return w.args[0] if w.args and key == "pattern" and not isinstance(w.args[0], Closure) else None


def _static_text(ev: Values, w: When, key: str, required: bool = True) -> str | Unknown | None:
    raw = _arg(w, key) if key == "pattern" else dict(w.kwargs).get(key)
    if raw is None:
        return Unknown(f"when {w.kind} needs {key!r}", w.span) if required else None
    value = ev.value(raw, w.span)
    if isinstance(value, Static) and isinstance(value.value, str):
        return value.value
    if isinstance(value, Unknown):
        return value
    return Unknown(f"when {w.kind}: {key} must be a string written in the Jenkinsfile", w.span)


def _comparator(ev: Values, w: When, default: str) -> str | Unknown:
    given = _static_text(ev, w, "comparator", required=False)
    if isinstance(given, Unknown):
        return given
    name = (given or "").upper()
    return name if name in COMPARATORS else default


def _branch(ev: Values, w: When) -> Result:
    pattern = _static_text(ev, w, "pattern")
    comparator = _comparator(ev, w, "GLOB")
    for x in (pattern, comparator):
        if isinstance(x, Unknown):
            return x
    return _tree({"op": w.kind, "pattern": pattern, "comparator": comparator, "at": str(w.span)}, w.span)


def _building_tag(ev: Values, w: When) -> Result:
    return _tree({"op": "tag", "pattern": "", "comparator": "GLOB", "at": str(w.span)}, w.span)


def _tag(ev: Values, w: When) -> Result:
    pattern = _static_text(ev, w, "pattern", required=False)
    comparator = _comparator(ev, w, "GLOB")
    for x in (pattern, comparator):
        if isinstance(x, Unknown):
            return x
    return _tree({"op": "tag", "pattern": pattern or "", "comparator": comparator, "at": str(w.span)}, w.span)


_CHANGE_KEYS = ("id", "target", "branch", "fork", "title", "author", "authorDisplayName", "authorEmail")


def _change_request(ev: Values, w: When) -> Result:
    filters: dict[str, str] = {}
    for key, _ in w.kwargs:
        if key in ("comparator", "url"):
            continue
        if key not in _CHANGE_KEYS:
            return Unknown(f"when changeRequest {key}: is not a changeRequest filter", w.span)
        text = _static_text(ev, w, key)
        if isinstance(text, Unknown):
            return text
        if text:
            filters[key] = text
    comparator = _comparator(ev, w, "EQUALS")
    if isinstance(comparator, Unknown):
        return comparator
    return _tree({"op": "changeRequest", "filters": filters, "comparator": comparator, "at": str(w.span)}, w.span)


def _environment(ev: Values, w: When) -> Result:
    name, value = _static_text(ev, w, "name"), _static_text(ev, w, "value")
    for x in (name, value):
        if isinstance(x, Unknown):
            return x
    ignore = ev.value(dict(w.kwargs).get("ignoreCase", False), w.span)
    if not isinstance(ignore, Static):
        return Unknown("when environment: ignoreCase must be written in the Jenkinsfile", w.span)
    bound = ev.env_read(name, w.span)  # type: ignore[arg-type]
    if isinstance(bound, Unknown):  # nothing here sets it: in Jenkins it may come from outside the job
        return bound
    if isinstance(bound, Static):  # the variable is set in the Jenkinsfile: decided now, as Jenkins decides it
        actual, wanted = groovy.to_str(bound.value) if bound.value is not None else "", str(value)
        if not actual:
            return Static(not wanted)
        return Static(actual.lower() == wanted.lower() if groovy.truth(ignore.value) else actual == wanted)
    return _tree({"op": "environment", "name": name, "value": value, "ignoreCase": groovy.truth(ignore.value),
                  "at": str(w.span)}, w.span)


def _equals(ev: Values, w: When) -> Result:
    kw = dict(w.kwargs)
    if "expected" not in kw or "actual" not in kw:
        return Unknown("when equals needs expected: and actual:", w.span)
    expected, actual = ev.value(kw["expected"], w.span), ev.value(kw["actual"], w.span)
    for x in (expected, actual):
        if isinstance(x, Unknown):
            return x
    if isinstance(expected, Static) and isinstance(actual, Static):
        return Static(groovy.equals(expected.value, actual.value))
    return _tree({"op": "==", "args": [node(expected), node(actual)], "at": str(w.span)}, w.span)  # type: ignore


def _expression(ev: Values, w: When) -> Result:
    closure = next((a for a in w.args if isinstance(a, Closure)), None)
    if closure is None:
        return Unknown("when expression needs a { ... } block", w.span)
    return ev.truth(ev.closure(closure, w.span))


def _triggered_by(ev: Values, w: When) -> Result:
    kw = dict(w.kwargs)
    raw = kw.get("cause", w.args[0] if w.args else None)
    cause = ev.value(raw, w.span) if raw is not None else None
    if not (isinstance(cause, Static) and isinstance(cause.value, str)):
        return Unknown("when triggeredBy needs a cause written in the Jenkinsfile", w.span)
    detail = ev.value(kw["detail"], w.span) if "detail" in kw else Static(None)
    if not (isinstance(detail, Static) and (detail.value is None or isinstance(detail.value, str))):
        return Unknown("when triggeredBy: detail must be written in the Jenkinsfile", w.span)
    return _tree({"op": "triggeredBy", "cause": cause.value, "detail": detail.value, "at": str(w.span)}, w.span)


def _not(ev: Values, w: When) -> Result:
    if len(w.children) != 1:
        return Unknown(f"when not takes one condition, not {len(w.children)}", w.span)
    inner = when_condition(ev, w.children[0])
    if isinstance(inner, Static):
        return Static(not groovy.truth(inner.value))
    if isinstance(inner, Unknown):
        return inner
    return _tree({"op": "not", "args": [inner.tree], "at": str(w.span)}, w.span)


_DIRECTIVES = {
    "branch": _branch,
    "buildingTag": _building_tag,
    "tag": _tag,
    "changeRequest": _change_request,
    "environment": _environment,
    "equals": _equals,
    "expression": _expression,
    "triggeredBy": _triggered_by,
    "not": _not,
    "allOf": lambda ev, w: _all(ev, "and", w.children, w.span),
    "anyOf": lambda ev, w: _all(ev, "or", w.children, w.span),
}
