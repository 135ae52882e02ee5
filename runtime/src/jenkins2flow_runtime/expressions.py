"""A safe evaluator of the expression trees the converter writes for Groovy values it could not compute ahead.

The converter (jenkins2flow.convert.evaluate) resolves what is static; what depends on the run becomes a JSON tree
that this module evaluates at run time, with Groovy's semantics (`jenkins2flow_runtime.groovy`). There is no `eval`,
no attribute access on Python objects, no loops: only the node kinds below, over plain JSON values. A tree is first
checked whole (`check`: known node kinds, depth <= 48, <= 4,000 nodes, regular expressions literal), then evaluated
under a work budget (strings <= 100,000 characters, lists <= 10,000 items, integers within Groovy's 32-bit range,
BigDecimals <= 60 digits). Anything unknown or failing raises `ExpressionError` naming the Jenkins source place the
node carries (`"at": "Jenkinsfile:12:9"`): conditions fail closed.

Tree nodes (JSON objects; any node may carry "at": "file:line:col"):

    {"lit": "x"} {"lit": 3} {"lit": true} {"lit": null}    a literal string, integer, boolean or null
    {"dec": "1.50"}                                        a BigDecimal
    {"list": [node, ...]}   {"map": [[key, value], ...]}   list and map literals (keys and values are nodes)
    {"param": "X"}        params.X: the run's parameter value (typed), null when the run has no such parameter
    {"env": "X"}          env.X: an environment variable (a string), null when unset; with "required": "why", unset
                          is an error saying why (a variable only some deployments set: never a silent null)
    {"bare": "X"}         a bare Groovy name Jenkins resolves through the environment; unset is an error, as Groovy's
                          MissingPropertyException is
    {"output": "T", "key": "stdout"}   what earlier task T recorded: "stdout" (sh returnStdout, untrimmed), "status"
                          (sh returnStatus); missing is an error
    {"build": "number"|"result"|"currentResult"|"displayName"}   currentBuild.X
    {"op": OP, "args": [node, ...], ...}   an operation:
        + - * / % ** intdiv    arithmetic (Groovy: "a" + 1 -> "a1", 10 / 4 -> 2.5, lists and maps add)
        neg  pos  not          unary minus, plus, Groovy-truth negation
        and  or                short-circuit, n-ary, Groovy truth -> boolean
        == != < <= > >= <=>    Groovy comparison
        in  !in                Groovy isCase (list contains, map value true, string equal)
        ==~  =~                full match / find of a literal Java regex ({"lit"} second argument) -> boolean
        ?:                     3 args: ternary; 2 args: elvis
        str                    a GString: the concatenation of each argument's Groovy toString
        bool                   Groovy truth of the argument
        index                  args [obj, key]; "safe": true for ?.[]
        prop                   args [obj], "name": map entry; "safe": true for ?.
        call                   args [target, arg...], "name": a String/List/Map/number method (trim, split, join...),
                               "safe": true for ?.; regex methods need a literal pattern
        cast                   args [value], "type": String|Integer|int|Long|long|Boolean|boolean|BigDecimal,
                               "coerce": true for `as` (parses strings), false for a `(Type)` cast
        fail                   "message": always raises: what the converter could not translate, failing closed
    declarative `when` directives, with Jenkins' own matching rules (pipeline-model-definition):
        {"op": "branch", "pattern": p, "comparator": "GLOB"|"REGEXP"|"EQUALS"}
        {"op": "tag", "pattern": p, "comparator": ...}      (buildingTag is a tag with pattern "")
        {"op": "changeRequest", "filters": {"id"|"target"|"branch"|"fork"|"title"|"author"|"authorDisplayName"|
                                            "authorEmail": p}, "comparator": ...}
        {"op": "environment", "name": n, "value": v, "ignoreCase": false}
        {"op": "triggeredBy", "cause": c, "detail": user or null}

The facts a run provides (`Context`), read by the nodes above:
- `params`: the run's resolved parameters (name -> typed value);
- `env`: the task's environment: Jenkins' variables (jenkins_env: BUILD_NUMBER, JOB_NAME, WORKSPACE...), the
  branch/tag/change facts BRANCH_NAME, GIT_LOCAL_BRANCH, TAG_NAME, CHANGE_ID, CHANGE_TARGET, CHANGE_BRANCH,
  CHANGE_FORK, CHANGE_TITLE, CHANGE_AUTHOR, CHANGE_AUTHOR_DISPLAY_NAME, CHANGE_AUTHOR_EMAIL, CHANGE_URL (set by
  whoever triggers the run, in the run conf, or in the worker's environment; see jenkins_env.SCM_VARIABLES), the
  pipeline's environment, the parameters as strings;
- `outputs`: task id -> {"stdout": ..., "status": ...} recorded by earlier tasks of the run;
- `build`: number, result (null while nothing failed, else "FAILURE"), currentResult ("SUCCESS" or "FAILURE");
- `causes`: why the run started, as Jenkins cause class names ({"name": "TimerTriggerCause"},
  {"name": "UserIdCause", "user": "alice"}, {"name": "UpstreamCause"}); None when unknown (triggeredBy then fails).
Jenkins' changelog and changeset conditions need the commits of the run, which Airflow does not know: the converter
flags them and writes a `fail` node.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from jenkins2flow_runtime import groovy
from jenkins2flow_runtime.antglob import match_path
from jenkins2flow_runtime.groovy import Budget, GroovyError

MAX_DEPTH = 48
MAX_NODES = 4_000

LEAVES = ("lit", "dec", "list", "map", "param", "env", "bare", "output", "build", "op")
BUILD_FIELDS = frozenset({"number", "result", "currentResult", "displayName"})
ARITHMETIC = frozenset({"+", "-", "*", "/", "%", "**", "intdiv"})
COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">=", "<=>"})
WHEN_OPS = frozenset({"branch", "tag", "changeRequest", "environment", "triggeredBy"})
OPS = ARITHMETIC | COMPARISONS | WHEN_OPS | {
    "neg", "pos", "not", "and", "or", "in", "!in", "==~", "=~", "?:", "str", "bool", "index", "prop", "call", "cast",
    "fail"}
COMPARATORS = ("GLOB", "REGEXP", "EQUALS")
CHANGE_FILTERS = {
    "id": "CHANGE_ID", "target": "CHANGE_TARGET", "branch": "CHANGE_BRANCH", "fork": "CHANGE_FORK",
    "title": "CHANGE_TITLE", "author": "CHANGE_AUTHOR", "authorDisplayName": "CHANGE_AUTHOR_DISPLAY_NAME",
    "authorEmail": "CHANGE_AUTHOR_EMAIL",
}
_ARITY = {"neg": (1, 1), "pos": (1, 1), "not": (1, 1), "bool": (1, 1), "prop": (1, 1), "cast": (1, 1),
          "index": (2, 2), "in": (2, 2), "!in": (2, 2), "==~": (2, 2), "=~": (2, 2), "?:": (2, 3),
          "and": (0, 64), "or": (0, 64), "str": (0, 256), "call": (1, 9), "fail": (0, 0)}


class ExpressionError(Exception):
    """A tree that cannot be evaluated: its message starts with the Jenkins source place (`file:line:col: ...`)."""

    def __init__(self, message: str, at: str = "") -> None:
        super().__init__(f"{at}: {message}" if at else message)
        self.reason = message
        self.at = at


@dataclass(frozen=True)
class Context:
    """The facts of one run an expression may read (see the module docstring)."""

    params: Mapping[str, Any] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    outputs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    build: Mapping[str, Any] = field(default_factory=dict)
    causes: Sequence[Mapping[str, Any]] | None = None


# ---- checking ------------------------------------------------------------------------------------------------------


def check(tree: Any, known: Mapping[int, tuple[int, int]] | None = None) -> tuple[int, int]:
    """Raise ExpressionError unless `tree` is a well-formed tree within the size limits; else its size, (nodes,
    levels). `known`: subtrees of `tree` already checked, by `id`, with their sizes (a tree combined from checked
    trees is checked in the time of its new nodes): one that stays within the limits where it stands is not walked
    again; one that does not is walked, so that the error is the one a whole walk raises."""
    count = [0]
    levels = _check(tree, 0, count, "", known or {})
    return count[0], levels


def _check(node: Any, depth: int, count: list[int], at: str, known: Mapping[int, tuple[int, int]]) -> int:
    """Check `node` at `depth`, counting its nodes into `count`; its levels (1 for a leaf)."""
    if known and id(node) in known:
        nodes, levels = known[id(node)]
        if depth + levels - 1 <= MAX_DEPTH and count[0] + nodes <= MAX_NODES:
            count[0] += nodes
            return levels
    if not isinstance(node, dict):
        raise ExpressionError(f"an expression node must be an object, not {type(node).__name__}", at)
    at = node.get("at", at) if isinstance(node.get("at", at), str) else at
    count[0] += 1
    if depth > MAX_DEPTH:
        raise ExpressionError(f"the expression is nested more than {MAX_DEPTH} levels deep", at)
    if count[0] > MAX_NODES:
        raise ExpressionError(f"the expression has more than {MAX_NODES} parts", at)
    kinds = [k for k in LEAVES if k in node]
    if len(kinds) != 1:
        raise ExpressionError(f"unknown expression node {sorted(node)!r}", at)
    kind = kinds[0]
    value = node[kind]
    below = 0  # the levels under this node
    if kind == "lit":
        if not (value is None or isinstance(value, str | bool | int)):
            raise ExpressionError(f"a literal must be a string, integer, boolean or null, not {value!r}", at)
        if isinstance(value, str) and len(value) > groovy.MAX_STRING:
            raise ExpressionError("a literal string is too long", at)
        if isinstance(value, int) and not isinstance(value, bool) and \
                not groovy.LONG_MIN <= value <= groovy.LONG_MAX:
            raise ExpressionError("an integer literal beyond Groovy's Long range is not supported", at)
    elif kind == "dec":
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise ExpressionError(f"{value!r} is not a decimal number", at) from None
        if not number.is_finite() or len(number.as_tuple().digits) > groovy.MAX_DIGITS or \
                abs(number.adjusted()) > 1000:
            raise ExpressionError(f"the decimal {value!r} is out of range", at)
    elif kind in ("param", "env", "bare", "output", "build"):
        if not isinstance(value, str) or not value:
            raise ExpressionError(f"a {kind} reference needs a name", at)
        if kind == "output" and not isinstance(node.get("key"), str):
            raise ExpressionError("an output reference needs a key", at)
        if kind == "env" and not isinstance(node.get("required", ""), str):
            raise ExpressionError("an env reference's `required` is the reason, a string", at)
        if kind == "build" and value not in BUILD_FIELDS:
            raise ExpressionError(f"currentBuild.{value} is not known at run time", at)
    elif kind in ("list", "map"):
        items = value if isinstance(value, list) else None
        if items is None or len(items) > groovy.MAX_ITEMS:
            raise ExpressionError(f"a {kind} node needs a list of at most {groovy.MAX_ITEMS} items", at)
        for item in items:
            if kind == "map":
                if not (isinstance(item, list) and len(item) == 2):
                    raise ExpressionError("a map entry must be a [key, value] pair", at)
                for part in item:
                    below = max(below, _check(part, depth + 1, count, at, known))
            else:
                below = max(below, _check(item, depth + 1, count, at, known))
    else:
        below = _check_op(node, str(value), depth, count, at, known)
    return below + 1


def _check_op(node: dict[str, Any], op: str, depth: int, count: list[int], at: str,
              known: Mapping[int, tuple[int, int]]) -> int:
    if op not in OPS:
        raise ExpressionError(f"unknown operator {op!r}", at)
    args = node.get("args", [])
    if not isinstance(args, list):
        raise ExpressionError(f"the arguments of {op!r} must be a list", at)
    low, high = _ARITY.get(op, (2, 2) if op in ARITHMETIC | COMPARISONS else (0, 0))
    if not low <= len(args) <= high:
        raise ExpressionError(f"operator {op!r} takes {low}..{high} arguments, not {len(args)}", at)
    below = 0
    for a in args:
        below = max(below, _check(a, depth + 1, count, at, known))
    if op == "call":
        name = node.get("name")
        if name not in groovy.ALL_METHODS:
            raise ExpressionError(f"method {name!r} is not supported", at)
        if name in groovy.REGEX_METHODS and len(args) > 1 and not _is_literal_str(args[1]):
            raise ExpressionError(f"the regular expression of {name}() must be written in the Jenkinsfile, not "
                                  "computed", at)
    elif op in ("==~", "=~") and not _is_literal_str(args[1]):
        raise ExpressionError(f"the regular expression of {op!r} must be written in the Jenkinsfile", at)
    elif op == "prop" and not isinstance(node.get("name"), str):
        raise ExpressionError("a property node needs a name", at)
    elif op == "cast" and node.get("type") not in groovy.CAST_TYPES:
        raise ExpressionError(f"conversion to {node.get('type')!r} is not supported", at)
    elif op == "fail" and not isinstance(node.get("message"), str):
        raise ExpressionError("a fail node needs a message", at)
    elif op in ("branch", "tag"):
        _check_pattern(node.get("pattern"), node.get("comparator"), at)
    elif op == "changeRequest":
        filters = node.get("filters")
        if not isinstance(filters, dict) or not set(filters) <= set(CHANGE_FILTERS):
            raise ExpressionError(f"changeRequest filters must be among {sorted(CHANGE_FILTERS)}", at)
        for pattern in filters.values():
            _check_pattern(pattern, node.get("comparator"), at)
    elif op == "environment":
        if not isinstance(node.get("name"), str) or not isinstance(node.get("value"), str):
            raise ExpressionError("an environment condition needs a name and a value", at)
    elif op == "triggeredBy" and not isinstance(node.get("cause"), str):
        raise ExpressionError("a triggeredBy condition needs a cause", at)
    return below


def _check_pattern(pattern: Any, comparator: Any, at: str) -> None:
    if not isinstance(pattern, str) or comparator not in COMPARATORS:
        raise ExpressionError(f"a pattern must be a string and the comparator one of {COMPARATORS}", at)
    if comparator == "REGEXP":
        try:
            groovy.regex(pattern)
        except GroovyError as exc:
            raise ExpressionError(str(exc), at) from None


def _is_literal_str(node: Any) -> bool:
    return isinstance(node, dict) and isinstance(node.get("lit"), str)


# ---- evaluation ----------------------------------------------------------------------------------------------------


def evaluate(tree: Any, ctx: Context | None = None) -> Any:
    """The value of `tree` in the run `ctx` (checked first); raises ExpressionError, naming the source place."""
    check(tree)
    return _Eval(ctx or Context(), Budget()).run(tree, "")


def condition(tree: Any, ctx: Context | None = None) -> bool:
    """Groovy truth of `tree`: what an `if` or a `when` decides."""
    return groovy.truth(evaluate(tree, ctx))


def as_text(tree: Any, ctx: Context | None = None) -> str:
    """The Groovy string of `tree`'s value, as a GString would interpolate it."""
    return groovy.to_str(evaluate(tree, ctx))


def environment(bindings: Mapping[str, Any], ctx: Context) -> dict[str, str]:
    """Environment variables a task receives from trees (name -> tree), each as its Groovy string."""
    return {name: as_text(tree, ctx) for name, tree in bindings.items()}


def nodes(*trees: Any) -> Iterator[dict[str, Any]]:
    """Every node of `trees` (their arguments, list items, map keys and values), depth first."""
    stack = list(trees)
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, dict):
            yield node
            stack.extend(reversed([v for k, v in node.items() if k in ("args", "list", "map")]))


def outputs_read(*trees: Any) -> set[tuple[str, str]]:
    """The (task, key) pairs of the `output` nodes in `trees`: what the run must pull before evaluating them."""
    return {(n["output"], str(n.get("key", ""))) for n in nodes(*trees) if isinstance(n.get("output"), str)}


def fail_messages(found: Iterable[dict[str, Any]]) -> list[str]:
    """The `fail` nodes among `found` (nodes walked by `nodes`), as "place: message": what the converter did not
    understand, failing closed."""
    return [f"{n['at']}: {n.get('message', '')}" if n.get("at") else str(n.get("message", ""))
            for n in found if n.get("op") == "fail"]


class _Eval:
    def __init__(self, ctx: Context, budget: Budget) -> None:
        self.ctx = ctx
        self.budget = budget

    def run(self, node: dict[str, Any], at: str) -> Any:
        at = node.get("at", at)
        self.budget.charge()
        try:
            return self._node(node, at)
        except GroovyError as exc:
            raise ExpressionError(str(exc), at) from None
        except (ArithmeticError, ValueError, TypeError) as exc:  # fail closed on anything unforeseen
            raise ExpressionError(f"the operation fails: {exc}", at) from None

    def _node(self, node: dict[str, Any], at: str) -> Any:
        if "lit" in node:
            return node["lit"]
        if "dec" in node:
            return Decimal(str(node["dec"]))
        if "list" in node:
            return [self.run(x, at) for x in node["list"]]
        if "map" in node:
            out = {}
            for k, v in node["map"]:
                key = self.run(k, at)
                if isinstance(key, list | dict):
                    raise GroovyError("a list or map as a map key is not supported")
                out[key] = self.run(v, at)
            return out
        if "param" in node:
            return self.ctx.params.get(node["param"])
        if "env" in node:
            value = self.ctx.env.get(node["env"])
            if value is None and node.get("required"):
                raise ExpressionError(f"env.{node['env']} is not set in this run: {node['required']}", at)
            return value
        if "bare" in node:
            name = node["bare"]
            if name not in self.ctx.env:
                raise ExpressionError(f"No such property: {name} (no variable or environment variable {name!r} "
                                      "in this run)", at)
            return self.ctx.env[name]
        if "output" in node:
            return self._output(node["output"], node["key"], at)
        if "build" in node:
            return self._build(node["build"], at)
        return self._op(node, node["op"], node.get("args", []), at)

    def _output(self, task: str, key: str, at: str) -> Any:
        recorded = self.ctx.outputs.get(task)
        if recorded is None or key not in recorded:
            raise ExpressionError(f"task {task!r} has recorded no {key!r} in this run (did it run?)", at)
        return recorded[key]

    def _build(self, name: str, at: str) -> Any:
        if name == "number":
            number = self.ctx.build.get("number", self.ctx.env.get("BUILD_NUMBER"))
            if number is None:
                raise ExpressionError("the build number of this run is unknown", at)
            return int(number)
        if name == "displayName":
            shown = self.ctx.build.get("displayName")
            return shown if shown is not None else f"#{self._build('number', at)}"
        if name not in self.ctx.build:
            raise ExpressionError(f"currentBuild.{name} is unknown in this run", at)
        return self.ctx.build[name]

    def _op(self, node: dict[str, Any], op: str, args: list[dict[str, Any]], at: str) -> Any:
        run = self.run
        if op == "and":
            return all(groovy.truth(run(a, at)) for a in args)
        if op == "or":
            return any(groovy.truth(run(a, at)) for a in args)
        if op == "?:":
            first = run(args[0], at)
            if len(args) == 2:
                return first if groovy.truth(first) else run(args[1], at)
            return run(args[1], at) if groovy.truth(first) else run(args[2], at)
        if op == "fail":
            raise ExpressionError(node["message"], at)
        if op in WHEN_OPS:
            return self._when(node, op, at)
        if op in ("prop", "index", "call") and node.get("safe"):
            target = run(args[0], at)
            if target is None:
                return None
            values = [target, *(run(a, at) for a in args[1:])]
        else:
            values = [run(a, at) for a in args]
        return self._apply(node, op, values)

    def _apply(self, node: dict[str, Any], op: str, v: list[Any]) -> Any:
        if op in ARITHMETIC:
            return groovy.binary(op, v[0], v[1], self.budget)
        if op == "==":
            return groovy.equals(v[0], v[1])
        if op == "!=":
            return not groovy.equals(v[0], v[1])
        if op in COMPARISONS:
            c = groovy.compare(v[0], v[1])
            return {"<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0, "<=>": c}[op]
        if op == "neg":
            return groovy.negate(v[0])
        if op == "pos":
            if not groovy.is_number(v[0]):
                raise GroovyError(f"unary '+' needs a number, not {groovy.type_name(v[0])}")
            return v[0]
        if op == "not":
            return not groovy.truth(v[0])
        if op == "bool":
            return groovy.truth(v[0])
        if op == "in":
            return groovy.is_case(v[1], v[0])
        if op == "!in":
            return not groovy.is_case(v[1], v[0])
        if op in ("==~", "=~"):
            if v[0] is None:
                raise GroovyError(f"Cannot match a regular expression against null ({op})")
            rx = groovy.regex(v[1])
            subject = groovy.to_str(v[0])
            return (rx.fullmatch(subject) if op == "==~" else rx.search(subject)) is not None
        if op == "str":
            return self.budget.string("".join(groovy.to_str(x) for x in v))
        if op == "index":
            return groovy.get_index(v[0], v[1])
        if op == "prop":
            return groovy.get_property(v[0], node["name"])
        if op == "call":
            return groovy.call_method(v[0], node["name"], v[1:], self.budget)
        if op == "cast":
            return groovy.cast(node["type"], v[0], bool(node.get("coerce", True)))
        raise GroovyError(f"unknown operator {op!r}")

    # -- when directives ---------------------------------------------------------------------------------------------
    def _when(self, node: dict[str, Any], op: str, at: str) -> bool:
        env = self.ctx.env
        comparator = node.get("comparator", "GLOB")
        if op == "branch":
            branch = env.get("BRANCH_NAME") or env.get("GIT_LOCAL_BRANCH") or ""
            pattern = node["pattern"]
            if not branch or not pattern:
                return not branch and not pattern
            return compare_pattern(comparator, pattern, branch)
        if op == "tag":
            tag = env.get("TAG_NAME") or ""
            if not tag:
                return False
            return not node["pattern"] or compare_pattern(comparator, node["pattern"], tag)
        if op == "changeRequest":
            if not env.get("CHANGE_ID"):
                return False
            return all(compare_pattern(comparator, pattern, env.get(CHANGE_FILTERS[key]) or "")
                       for key, pattern in node["filters"].items() if pattern)
        if op == "environment":
            actual, wanted = env.get(node["name"]) or "", node["value"]
            if not actual:
                return not wanted
            return actual.lower() == wanted.lower() if node.get("ignoreCase") else actual == wanted
        return self._triggered_by(node["cause"], node.get("detail"), at)

    def _triggered_by(self, cause: str, detail: str | None, at: str) -> bool:
        """Jenkins' Utils.shouldRunBeAllowed: a UserIdCause by its user id, any other cause by its class name
        matching `(?i)\\.*<cause>.*` (a case-insensitive prefix match, as Jenkins writes it)."""
        causes = self.ctx.causes
        if causes is None:
            raise ExpressionError(f"triggeredBy {cause!r}: why this run started is unknown", at)
        try:
            rx = re.compile(r"(?i)\.*" + cause + ".*")
        except re.error:
            raise ExpressionError(f"triggeredBy {cause!r} is not a valid pattern", at) from None
        for c in causes:
            name = str(c.get("name", ""))
            if name == "UserIdCause" and cause == "UserIdCause":
                if detail is None or c.get("user") == detail:
                    return True
            elif rx.fullmatch(name):
                return True
        return False


# ---- Jenkins' comparators (when/utils/Comparator.java) -------------------------------------------------------------


def compare_pattern(comparator: str, pattern: str, actual: str) -> bool:
    """GLOB: Ant's SelectorUtils.matchPath on the name, case-insensitive (what branch, tag and changeRequest use;
    antglob says how it differs from a file set's pattern); REGEXP: Java's String.matches (the whole string); EQUALS:
    exact."""
    if comparator == "REGEXP":
        return groovy.regex(pattern).fullmatch(actual) is not None
    if comparator == "EQUALS":
        return actual == pattern
    return match_path(pattern, actual, file_set=False, case_sensitive=False)
