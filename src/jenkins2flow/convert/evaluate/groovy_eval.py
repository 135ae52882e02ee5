"""A partial evaluator of Groovy values over the IR: what is static is computed now, what depends on the run
becomes an expression tree for the runtime, anything else is Unknown with its place.

    ev = Evaluator(params={"job", "DEPLOY"}, path="Jenkinsfile")
    ev = ev.bind("n", 3)                                   # def n = 3
    ev = ev.bind_env("OUT", GString(...))                  # environment { OUT = "${WORKSPACE}/x" }
    ev = ev.with_output(sh_step, "get_version")            # the step `sh(returnStdout: true ...)` ran as a task
    ev.value(Expr('3*60'))               -> Static(180)
    ev.value(Expr('"etl/" + params.job')) -> Runtime({"op": "+", "args": [{"lit": "etl/"}, {"param": "job"}]})
    ev.value(Expr('readFile("x")'))       -> Unknown("...", span)

Expressions are kept as source text in the IR; they are parsed here with the project's Groovy parser. The Groovy
semantics (operators, methods, toString) are the runtime's (`jenkins2flow_runtime.groovy`): a value folded now is
computed by the same code that evaluates a tree at run time.

Names resolve as Jenkins resolves them: local variables (`bind`), then `params.X` (the run's typed parameter,
null when undeclared), `env.X` (bound environment values, else the run's environment), and a bare name through the
environment (as workflow-cps' CpsScript.getProperty falls back to env; an unset one fails). `env.X` and a bare name
are accepted only when the run is known to provide them (`provides`): a declared parameter, a bound environment
variable, one of Jenkins' variables (jenkins_env), a name in `known_env` (agents, tools, credentials, matrix axes,
mappings `agents.env`) or a variable of the worker's process (PATH, HOME...); any other is Unknown, never a silent
null: in Jenkins it comes from outside the job (global or agent properties, a plugin). A variable the runtime sets
only in some deployments (JENKINS_URL) reads as an `env` node marked `required`: unset, evaluating it fails the task
rather than give null (and the lint flags its use).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from jenkins2flow_runtime import groovy
from jenkins2flow_runtime.expressions import ExpressionError, evaluate
from jenkins2flow_runtime.jenkins_env import (
    CONFIGURED_VARIABLES,
    JENKINS_VARIABLES,
    SCM_VARIABLES,
    STAGE_VARIABLES,
    URL_VARIABLES,
)

from jenkins2flow.convert.evaluate.results import Result, Runtime, Static, Unknown, checked, literal, node
from jenkins2flow.ir import Closure, Expr, GString, Interp, Span, Step, When, WhenBlock
from jenkins2flow.parse import groovy_ast as A
from jenkins2flow.parse.groovy_parser import parse_groovy

if TYPE_CHECKING:
    from jenkins2flow.convert.evaluate.shell_text import ShellText

# Every name Jenkins itself may put in a build's environment (the runtime sets them; see jenkins_env).
JENKINS_NAMES = frozenset((*JENKINS_VARIABLES, *URL_VARIABLES, *SCM_VARIABLES, *STAGE_VARIABLES, *CONFIGURED_VARIABLES))
# Variables of the process a task runs in, on a Jenkins agent as on an Airflow worker.
PROCESS_NAMES = frozenset({"PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LC_ALL", "TMPDIR", "TZ", "HOSTNAME"})
# Groovy methods the runtime evaluates (its internal names, with a dot, are not Groovy method names).
METHODS = frozenset(m for m in groovy.ALL_METHODS if "." not in m)
# Static calls on classes: (class, method) -> the runtime method applied to the single argument.
STATIC_CALLS = {("Integer", "parseInt"): "Integer.parseInt", ("Integer", "valueOf"): "Integer.parseInt",
                ("Boolean", "parseBoolean"): "Boolean.parseBoolean"}
_ARITHMETIC = {"+", "-", "*", "/", "%", "**"}
_COMPARE = {"==", "!=", "<", "<=", ">", ">=", "<=>", "in", "!in", "==~", "=~"}
_WHOLE = {"params": "params", "env": "env", "currentBuild": "currentBuild"}
# Tree operators whose value is already a boolean (no Groovy-truth node needed over them).
_BOOLEAN_OPS = frozenset({"and", "or", "not", "bool", "==", "!=", "<", "<=", ">", ">=", "in", "!in", "==~", "=~",
                          "branch", "tag", "changeRequest", "environment", "triggeredBy"})
OUTPUT_KEYS = ("stdout", "status")
# currentBuild properties that are Jenkins' variables of the run (RunWrapper: getFullDisplayName is the job's full
# display name, folders joined by " » ", then the display name "#N"; the job's names are taken as its display names).
BUILD_ALIASES: dict[str, dict[str, Any]] = {
    "id": {"bare": "BUILD_ID"},
    "projectName": {"bare": "JOB_BASE_NAME"},
    "fullProjectName": {"bare": "JOB_NAME"},
    "absoluteUrl": {"env": "BUILD_URL"},
    "fullDisplayName": {"op": "str", "args": [
        {"op": "call", "name": "replace", "args": [{"bare": "JOB_NAME"}, {"lit": "/"}, {"lit": " \u00bb "}]},
        {"lit": " "}, {"build": "displayName"}]},
}


def output_ref(task_id: str, key: str = "stdout", at: Span | None = None) -> Runtime:
    """What task `task_id` records: "stdout" (the full standard output, as `sh(returnStdout: true)` returns it,
    untrimmed) or "status" (the exit code, `returnStatus: true`)."""
    tree: dict[str, Any] = {"output": task_id, "key": key}
    if at is not None:
        tree["at"] = str(at)
    return Runtime(tree)


@lru_cache(maxsize=4096)
def parse_expression(text: str) -> A.Node | str:
    """The syntax tree of one Groovy expression, or the reason it is not one."""
    module = parse_groovy(text)
    if module.errors:
        return f"the expression does not parse: {module.errors[0].message}"
    if len(module.body) != 1 or not isinstance(module.body[0], A.ExprStmt):
        return "the text is not a single expression"
    return module.body[0].expr


@dataclass(frozen=True)
class Evaluator:
    """An immutable scope of bindings; `bind`, `bind_env`, `with_output` return a new Evaluator."""

    params: frozenset[str] = frozenset()  # declared parameter names
    path: str = ""  # the source file, for places when a value carries none
    known_env: frozenset[str] = frozenset()  # other environment variables the run provides (agent, tools)
    variables: Mapping[str, Result] = field(default_factory=dict)
    env: Mapping[str, Result] = field(default_factory=dict)  # environment{}, withEnv, env.X = ...
    outputs: Mapping[tuple[int, int], Result] = field(default_factory=dict)  # step call place -> its output

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", frozenset(self.params))
        object.__setattr__(self, "known_env", frozenset(self.known_env))

    def changed(self, **changes: Any) -> Evaluator:
        """`dataclasses.replace(self, **changes)` for values already of their field's type, four times as fast: no
        walk of the fields, no __init__ (an Evaluator is copied at nearly every step of a conversion)."""
        new = object.__new__(Evaluator)
        new.__dict__.update(self.__dict__, **changes)
        return new

    # -- scope ---------------------------------------------------------------------------------------------------
    def bind(self, name: str, value: Any, span: Span | None = None) -> Evaluator:
        """`def name = value` / `name = value`: later uses of `name` get the value (a Result or an IR value)."""
        result = value if isinstance(value, Static | Runtime | Unknown) else self.value(value, span)
        return self.changed(variables={**self.variables, name: result})

    def bind_env(self, name: str, value: Any, span: Span | None = None) -> Evaluator:
        """An environment variable set by `environment {}`, `withEnv` or `env.X = ...`: its value as the string
        Jenkins stores (null unsets it)."""
        result = value if isinstance(value, Static | Runtime | Unknown) else self.value(value, span)
        if isinstance(result, Static) and result.value is not None:
            result = Static(groovy.to_str(result.value))
        elif isinstance(result, Runtime):
            result = self.string(result)
        return self.changed(env={**self.env, name: result})

    def with_output(self, step: Step, task_id: str, key: str = "stdout") -> Evaluator:
        """The step call `step` (e.g. `sh(script: ..., returnStdout: true)`) became task `task_id`: where the call
        is used as a value, its recorded output is used."""
        place = (step.span.line, step.span.col)
        return self.changed(outputs={**self.outputs, place: output_ref(task_id, key, step.span)})

    def provides(self, name: str) -> bool:
        """Whether the run is known to give environment variable `name` a value: see the module docstring."""
        return name in self.env or name in self.params or name in JENKINS_NAMES or name in self.known_env or \
            name in PROCESS_NAMES

    def env_read(self, name: str, at: Span) -> Result:
        """`env.NAME` (and `env["NAME"]`, `env.getProperty("NAME")`): the bound value, else the run's variable when
        the run provides it, else Unknown; a variable only some deployments set fails the run when it is unset."""
        bound = self.env.get(name)
        if bound is not None:
            return bound
        if name in CONFIGURED_VARIABLES:
            return Runtime({"env": name, "required": CONFIGURED_VARIABLES[name], "at": str(at)})
        if self.provides(name):
            return Runtime({"env": name, "at": str(at)})
        return Unknown(f"env.{name} is set by nothing the converter sees (no environment {{}}, withEnv or "
                       f"env.{name} = ... before it, no parameter, not one of Jenkins' variables the runtime sets): "
                       "in Jenkins it comes from outside the job (global or agent properties, a plugin), and in the "
                       "run it would read null. Set it in the job, or in a --mappings file: "
                       f"`agents: {{env: {{{name}: VALUE}}}}` (or `{name}: null` when the workers' environment has it)",
                       at)

    def task_env(self) -> dict[str, Result]:
        """The bound environment variables, which the task that runs a shell step must receive (Static strings
        in its env; Runtime trees evaluated at run time)."""
        return dict(self.env)

    # -- evaluating ----------------------------------------------------------------------------------------------
    def value(self, v: Any, span: Span | None = None) -> Result:
        """An IR value (literal, GString, Expr, tuple, dict, a step call...) as Static, Runtime or Unknown.
        `span` is where the value is written: GStrings carry no place of their own, so give the step's."""
        return _Walk(self, span or Span(self.path or "<groovy>")).ir(v)

    def expression(self, text: str, span: Span) -> Result:
        """Groovy source text of one expression, starting at `span`."""
        return _Walk(self, span).source(text, span)

    def string(self, v: Any, span: Span | None = None) -> Result:
        """The value as the string Groovy makes of it (a GString interpolation, String + x)."""
        result = v if isinstance(v, Static | Runtime | Unknown) else self.value(v, span)
        if isinstance(result, Static):
            return Static(groovy.to_str(result.value))
        if isinstance(result, Runtime):
            tree = result.tree
            if tree.get("op") == "str" or isinstance(tree.get("bare"), str):
                return result
            return checked({"op": "str", "args": [tree], **({"at": tree["at"]} if "at" in tree else {})}, span,
                           [result])
        return result

    def truth(self, v: Any, span: Span | None = None) -> Result:
        """The value as a Groovy condition (`if (x)`, `expression { x }`): a boolean."""
        result = v if isinstance(v, Static | Runtime | Unknown) else self.value(v, span)
        if isinstance(result, Static):
            return Static(groovy.truth(result.value))
        if isinstance(result, Runtime):
            if result.tree.get("op") in _BOOLEAN_OPS:
                return result
            return checked({"op": "bool", "args": [result.tree]}, span, [result])
        return result

    def shell(self, v: Any, span: Span, shell: str = "sh") -> ShellText:
        """The script of a `sh`/`bat`/`powershell` step (see shell_text): static parts pasted as Groovy would,
        run-time parts as environment variable references, Unknown parts listed and never pasted."""
        from jenkins2flow.convert.evaluate.shell_text import shell_script

        return shell_script(self, v, span, shell)

    def shell_word(self, v: Any, span: Span) -> ShellText:
        """The value as one quoted shell word, e.g. the directory of `dir(...)` for `cd`."""
        from jenkins2flow.convert.evaluate.shell_text import shell_word

        return shell_word(self, v, span)

    def when(self, w: When | WhenBlock) -> Result:
        """A declarative `when` condition (or a stage's whole `when` block) as a boolean Result (see when.py)."""
        from jenkins2flow.convert.evaluate.when import when_block, when_condition

        return when_block(self, w) if isinstance(w, WhenBlock) else when_condition(self, w)

    def closure(self, c: Closure, span: Span | None = None) -> Result:
        """The value a closure returns (its `return`, else its last expression), for `expression { ... }`:
        `def` and assignments bind as they go; any other statement is Unknown."""
        ev: Evaluator = self
        last: Result = Static(None)
        for i, s in enumerate(c.body):
            final = i == len(c.body) - 1
            if s.name == "return":
                return ev.value(s.args[0], s.span) if s.args else Static(None)
            if s.name == "expr" and s.args:
                last = ev.value(s.args[0], s.span)
                if isinstance(last, Unknown):
                    return last
                continue
            if s.name == "def" and not final and isinstance(s.kwarg("name"), str):
                ev = ev.bind(s.kwarg("name"), s.kwarg("value"), s.span)
                continue
            if s.name == "assign" and not final and s.kwarg("op") is None:
                target = str(s.kwarg("target"))
                if target.startswith("env."):
                    ev = ev.bind_env(target[4:], s.kwarg("value"), s.span)
                    continue
                if target.isidentifier():
                    ev = ev.bind(target, s.kwarg("value"), s.span)
                    continue
            return Unknown(f"the statement {s.raw or s.name!r} in the closure is not evaluated by the converter",
                           s.span)
        return last



class _Walk:
    """One evaluation: IR values and syntax nodes to Results. `span` is where the value is, for what has no place
    of its own (a GString's interpolations)."""

    def __init__(self, ev: Evaluator, span: Span) -> None:
        self.ev = ev
        self.span = span
        self.text = ""
        self.base = span

    # -- IR values -------------------------------------------------------------------------------------------------
    def ir(self, v: Any) -> Result:
        if v is None or isinstance(v, bool | int | str):
            return Static(v)
        if isinstance(v, float):
            return Static(Decimal(repr(v)))
        if isinstance(v, GString):
            return self.gstring(v.parts)
        if isinstance(v, Expr):
            return self.source(v.text, v.span or self.span)
        if isinstance(v, tuple | list):
            return self.sequence([self.ir(x) for x in v], self.span)
        if isinstance(v, dict):
            items: list[tuple[Result, Result]] = [(Static(k), self.ir(x)) for k, x in v.items()]
            return self.mapping(items, self.span)
        if isinstance(v, Step):
            found = self.ev.outputs.get((v.span.line, v.span.col))
            if found is not None:
                return found
            return Unknown(f"the value of step {v.name}(...) is only known inside Jenkins", v.span)
        if isinstance(v, Closure):
            return Unknown("a closure used as a value is not evaluated", v.span or self.span)
        return Unknown(f"a {type(v).__name__} value is not evaluated", self.span)

    def source(self, text: str, span: Span) -> Result:
        parsed = parse_expression(text)
        if isinstance(parsed, str):
            return Unknown(f"{parsed}: {text!r}", span)
        walk = _Walk(self.ev, span)
        walk.text, walk.base = text, span
        return walk.expr(parsed)

    def gstring(self, parts: Iterable[str | Interp]) -> Result:
        results: list[Result] = []
        for p in parts:
            results.append(Static(p) if isinstance(p, str) else self.source(p.expr, self.span))
        return self.combine({"op": "str"}, results, self.span)

    # -- places ----------------------------------------------------------------------------------------------------
    def at(self, offset: int) -> Span:
        base = self.base
        before = self.text[:offset]
        nl = before.count("\n")
        if nl == 0:
            return Span(base.path, base.line, base.col + offset)
        return Span(base.path, base.line + nl, offset - before.rfind("\n"))

    def snippet(self, n: A.Node) -> str:
        return self.text[n.start:n.end]

    # -- combining -------------------------------------------------------------------------------------------------
    def finish(self, tree: dict[str, Any], static: bool, at: Span, parts: Iterable[Result] = ()) -> Result:
        """A Static value when every part is static (computed now by the runtime's own evaluator), else a checked
        Runtime tree (`parts`: the values whose trees it holds, not walked again); a failure either way is Unknown
        at `at`."""
        if not static:
            return checked(tree, at, parts)
        try:
            return Static(evaluate(tree))
        except ExpressionError as exc:
            return Unknown(exc.reason, at)

    def combine(self, fields: dict[str, Any], parts: list[Result], at: Span) -> Result:
        known: list[Static | Runtime] = []
        for p in parts:
            if isinstance(p, Unknown):
                return p
            known.append(p)
        tree = {**fields, "args": [node(p) for p in known], "at": str(at)}
        return self.finish(tree, all(isinstance(p, Static) for p in known), at, known)

    def sequence(self, parts: list[Result], at: Span) -> Result:
        for p in parts:
            if isinstance(p, Unknown):
                return p
        if all(isinstance(p, Static) for p in parts):
            return Static([p.value for p in parts])  # type: ignore[union-attr]
        return self.finish({"list": [node(p) for p in parts]}, False, at, parts)  # type: ignore[arg-type]

    def mapping(self, items: list[tuple[Result, Result]], at: Span) -> Result:
        for k, v in items:
            for p in (k, v):
                if isinstance(p, Unknown):
                    return p
        if all(isinstance(p, Static) for kv in items for p in kv):
            try:
                return Static({k.value: v.value for k, v in items})  # type: ignore[union-attr]
            except TypeError:
                return Unknown("a list or map as a map key is not supported", at)
        return self.finish({"map": [[node(k), node(v)] for k, v in items]}, False, at,  # type: ignore[arg-type]
                           [p for kv in items for p in kv])

    # -- syntax nodes ----------------------------------------------------------------------------------------------
    def expr(self, n: A.Node) -> Result:
        handler = _NODES.get(type(n))
        if handler is None:
            return Unknown(f"{_describe(n)} is not evaluated by the converter: {self.snippet(n)!r}",
                           self.at(n.start))
        return handler(self, n)

    def lit(self, n: A.Lit) -> Result:
        v = n.value
        if isinstance(v, float):
            raw = self.snippet(n).replace("_", "")
            if raw[-1:] and raw[-1] in "dDfF":
                return Unknown(f"the Double {raw!r} is not evaluated (only Integer and BigDecimal are)",
                               self.at(n.start))
            try:
                return Static(Decimal(raw.rstrip("gG")))
            except InvalidOperation:
                return Static(Decimal(repr(v)))
        return Static(v)

    def str_(self, n: A.Str) -> Result:
        results: list[Result] = []
        for p in n.parts:
            results.append(Static(p) if isinstance(p, str) else self.source(p.expr, self.at(n.start)))
        return self.combine({"op": "str"}, results, self.at(n.start))

    def name(self, n: A.Name) -> Result:
        return self.resolve(n.name, self.at(n.start))

    def resolve(self, name: str, at: Span) -> Result:
        ev = self.ev
        if name in ev.variables:
            return ev.variables[name]
        if name in ev.env:
            return ev.env[name]
        if name in _WHOLE:
            return Unknown(f"{name!r} as a whole value is not evaluated (use {name}.NAME)", at)
        if ev.provides(name):
            return Runtime({"bare": name, "at": str(at)})
        return Unknown(f"{name!r} is not a variable the converter knows (not defined before with def, not a "
                       "parameter, not an environment variable of the run)", at)

    def param(self, name: str, at: Span) -> Result:
        return Runtime({"param": name, "at": str(at)})

    def env_var(self, name: str, at: Span) -> Result:
        return self.ev.env_read(name, at)

    def current_build(self, name: str, at: Span) -> Result:
        if name in ("number", "result", "currentResult", "displayName"):
            return Runtime({"build": name, "at": str(at)})
        alias = BUILD_ALIASES.get(name)
        if alias is not None:
            return Runtime({**alias, "at": str(at)})
        return Unknown(f"currentBuild.{name} is not known outside Jenkins", at)

    def _global(self, obj: A.Node, key: str, at: Span) -> Result | None:
        if isinstance(obj, A.Name) and obj.name not in self.ev.variables:
            if obj.name == "params":
                return self.param(key, at)
            if obj.name == "env":
                return self.env_var(key, at)
            if obj.name == "currentBuild":
                return self.current_build(key, at)
        return None

    def prop(self, n: A.Prop) -> Result:
        at = self.at(n.start)
        if n.op not in (".", "?."):
            return Unknown(f"the {n.op!r} operator is not evaluated: {self.snippet(n)!r}", at)
        found = self._global(n.obj, n.name, at)
        if found is not None:
            return found
        return self.combine({"op": "prop", "name": n.name, "safe": n.op == "?."}, [self.expr(n.obj)], at)

    def index(self, n: A.Index) -> Result:
        at = self.at(n.start)
        if len(n.index) != 1:
            return Unknown(f"an index with {len(n.index)} parts is not evaluated: {self.snippet(n)!r}", at)
        key = self.expr(n.index[0])
        if isinstance(key, Static) and isinstance(key.value, str):
            found = self._global(n.obj, key.value, at)
            if found is not None:
                return found
        return self.combine({"op": "index"}, [self.expr(n.obj), key], at)

    def call(self, n: A.Call) -> Result:
        at = self.at(n.start)
        if n.closures:
            return Unknown(f"a call with a closure is not evaluated by the converter: {self.snippet(n)!r}", at)
        if n.obj is None:
            found = self.ev.outputs.get((at.line, at.col))
            if found is not None:
                return found
            return Unknown(f"the result of {n.name}(...) is only known inside Jenkins", at)
        if any(a.key is not None for a in n.args):
            return Unknown(f"named arguments to {n.name}() are not evaluated: {self.snippet(n)!r}", at)
        args = [self.expr(a.value) for a in n.args]
        if isinstance(n.obj, A.Name) and n.obj.name not in self.ev.variables:
            special = self._class_call(n.obj.name, n.name, args, at)
            if special is not None:
                return special
        target = self.expr(n.obj)
        if isinstance(target, Unknown):
            return target
        if n.name not in METHODS:
            return Unknown(f"method {n.name}() is not evaluated by the converter: {self.snippet(n)!r}", at)
        between = self.text[n.obj.end:n.end].lstrip()
        if between.startswith(("*.", ".&", "::")):
            return Unknown(f"the {between[:2]!r} operator is not evaluated: {self.snippet(n)!r}", at)
        safe = between.startswith("?.")
        return self.combine({"op": "call", "name": n.name, "safe": safe}, [target, *args], at)

    def _class_call(self, owner: str, method: str, args: list[Result], at: Span) -> Result | None:
        key = args[0] if len(args) == 1 else None
        if owner == "params" and method == "get" and isinstance(key, Static) and isinstance(key.value, str):
            return self.param(key.value, at)
        if owner == "env" and method == "getProperty" and isinstance(key, Static) and isinstance(key.value, str):
            return self.env_var(key.value, at)
        if owner == "String" and method == "valueOf" and key is not None:
            return self.combine({"op": "str"}, [key], at)
        internal = STATIC_CALLS.get((owner, method))
        if internal is not None and key is not None:
            return self.combine({"op": "call", "name": internal}, [key], at)
        if owner in ("params", "env", "currentBuild", "Integer", "String", "Boolean", "Math", "System"):
            return Unknown(f"{owner}.{method}() is not evaluated by the converter", at)
        return None

    def unary(self, n: A.Unary) -> Result:
        if n.op == "()":
            return self.expr(n.operand)
        op = {"!": "not", "-": "neg", "+": "pos"}.get(n.op)
        if op is None or n.postfix:
            return Unknown(f"the {n.op!r} operator is not evaluated: {self.snippet(n)!r}", self.at(n.start))
        return self.combine({"op": op}, [self.expr(n.operand)], self.at(n.start))

    def binary(self, n: A.Binary) -> Result:
        at = self.at(n.start)
        if n.op in ("&&", "||"):
            return self.logic("and" if n.op == "&&" else "or", n, at)
        if n.op == "as":
            type_ = self.snippet(n.right).split("<", 1)[0].strip().rsplit(".", 1)[-1]
            if type_ not in groovy.CAST_TYPES:
                return Unknown(f"conversion to {type_} is not evaluated", at)
            return self.combine({"op": "cast", "type": type_, "coerce": True}, [self.expr(n.left)], at)
        if n.op not in _ARITHMETIC and n.op not in _COMPARE:
            what = "an assignment" if n.op.endswith("=") and n.op not in _COMPARE else f"the {n.op!r} operator"
            return Unknown(f"{what} is not evaluated: {self.snippet(n)!r}", at)
        return self.combine({"op": n.op}, [self.expr(n.left), self.expr(n.right)], at)

    def logic(self, op: str, n: A.Binary, at: Span) -> Result:
        left = self.expr(n.left)
        if isinstance(left, Unknown):
            return left
        if isinstance(left, Static):
            decided = groovy.truth(left.value)
            if decided == (op == "or"):
                return Static(decided)
            return self.ev.truth(self.expr(n.right))
        right = self.expr(n.right)
        if isinstance(right, Unknown):
            return right
        return self.finish({"op": op, "args": [left.tree, node(right)], "at": str(at)}, False, at, (left, right))

    def ternary(self, n: A.Ternary) -> Result:
        at = self.at(n.start)
        cond = self.expr(n.cond)
        if isinstance(cond, Unknown):
            return cond
        if isinstance(cond, Static):
            if groovy.truth(cond.value):
                return cond if n.then is None else self.expr(n.then)
            return self.expr(n.other)
        parts = [cond] + ([] if n.then is None else [self.expr(n.then)]) + [self.expr(n.other)]
        return self.combine({"op": "?:"}, parts, at)

    def cast(self, n: A.Cast) -> Result:
        type_ = n.type.rsplit(".", 1)[-1]
        if type_ not in groovy.CAST_TYPES:
            return Unknown(f"a cast to {n.type} is not evaluated", self.at(n.start))
        return self.combine({"op": "cast", "type": type_, "coerce": False}, [self.expr(n.operand)], self.at(n.start))

    def list_(self, n: A.ListExpr) -> Result:
        return self.sequence([self.expr(i) for i in n.items], self.at(n.start))

    def map_(self, n: A.MapExpr) -> Result:
        items: list[tuple[Result, Result]] = []
        for k, v in n.entries:
            if k == "*":
                return Unknown(f"a spread map entry is not evaluated: {self.snippet(n)!r}", self.at(n.start))
            key = Static(k) if isinstance(k, str) else self.expr(k)
            items.append((key, self.expr(v)))
        return self.mapping(items, self.at(n.start))


def _describe(n: A.Node) -> str:
    return {A.ClosureExpr: "a closure", A.New: "'new'", A.Raw: "this code"}.get(type(n), type(n).__name__)


_NODES: dict[type, Any] = {
    A.Lit: _Walk.lit, A.Str: _Walk.str_, A.Name: _Walk.name, A.Prop: _Walk.prop, A.Index: _Walk.index,
    A.Call: _Walk.call, A.Unary: _Walk.unary, A.Binary: _Walk.binary, A.Ternary: _Walk.ternary, A.Cast: _Walk.cast,
    A.ListExpr: _Walk.list_, A.MapExpr: _Walk.map_,
}


__all__ = ["Evaluator", "output_ref", "parse_expression", "JENKINS_NAMES", "METHODS", "literal"]
