"""A Groovy string used as a shell script, as the script the task runs.

Groovy interpolates before the shell sees the script. Here:
- static parts are pasted exactly as Groovy pastes them (its toString: `[a, b]`, `true`, `null`, `2.5`), so the
  shell reads them as it would under Jenkins; a `\\$` in the Groovy string is a plain `$` for the shell;
- run-time parts become references to environment variables the task receives: `${X}` for a declared parameter X,
  one of Jenkins' variables, a variable the run is known to set (`known_env`: matrix axes, tools) or a bound
  environment variable (the task has them), else `${J2F_<hash>}` bound in
  `ShellText.env` to the expression tree, which the runtime evaluates to its Groovy string before the script runs.
  The reference is placed for the shell quoting context it falls in (`'"${X}"'` inside single quotes). The shell
  expands a variable without re-parsing it, so a value holding quotes, `;` or `$(...)` stays data where Jenkins
  would have pasted it into the script; for plain values the result is the same. A script that is one run-time
  value as a whole runs as `eval "${J2F_...}"`, as Jenkins runs it as a script;
- Unknown parts are never pasted: they are listed in `ShellText.unknown`, and the script holds a reference that
  aborts it (`${J2F_UNRESOLVED:?file:line ...}`) in case it is run anyway. A run-time value where no variable can
  reach the shell unchanged (a quoted here-document, `$'...'`, right after a backslash) is Unknown too.
`bat` scripts get `%X%` references; run-time values in `powershell` scripts are Unknown (not converted yet).
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from jenkins2flow_runtime import groovy
from jenkins2flow_runtime.expressions import evaluate
from jenkins2flow_runtime.jenkins_env import JENKINS_VARIABLES

from jenkins2flow.convert.evaluate.results import Result, Runtime, Static, Unknown, Values, is_literal
from jenkins2flow.ir import GString, Span

_SHELL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ALWAYS_SET = frozenset(JENKINS_VARIABLES)


@dataclass(frozen=True)
class ShellText:
    """A script for the task: `script` to run, `env` the variables it needs at run time (name -> expression tree,
    given to the task as its Groovy string), `unknown` what could not be converted (then the step is not)."""

    script: str
    env: dict[str, dict[str, Any]] = field(default_factory=dict)
    unknown: tuple[Unknown, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.unknown


Part = tuple[str, Any]  # ("text", str) | ("value", Runtime) | ("unknown", Unknown)


def parts_of(ev: Values, value: Any, span: Span) -> list[Part]:
    """The value as pieces of text: static text, run-time values, unknown values."""
    if isinstance(value, str):
        return [("text", value)]
    if isinstance(value, GString):
        out: list[Part] = []
        for p in value.parts:
            out += [("text", p)] if isinstance(p, str) else _split(ev, ev.expression(p.expr, span))
        return out
    return _split(ev, ev.value(value, span))


def _split(ev: Values, result: Result) -> list[Part]:
    if isinstance(result, Static):
        return [("text", groovy.to_str(result.value))]
    if isinstance(result, Unknown):
        return [("unknown", result)]
    if any(bound == result for bound in ev.env.values()):
        return [("value", result)]  # a bound environment variable: the task has it under its name
    return _tree_parts(result.tree)


def _tree_parts(tree: dict[str, Any]) -> list[Part]:
    if is_literal(tree):
        return [("text", groovy.to_str(evaluate(tree)))]
    if tree.get("op") == "str":
        return [p for arg in tree["args"] for p in _tree_parts(arg)]
    if tree.get("op") == "+" and _is_string(tree["args"][0]):
        return _tree_parts(tree["args"][0]) + _tree_parts(tree["args"][1])
    return [("value", Runtime(tree))]


def _is_string(tree: dict[str, Any]) -> bool:
    if isinstance(tree.get("lit"), str) or tree.get("op") == "str":
        return True
    return tree.get("op") == "+" and _is_string(tree["args"][0])


def variable(ev: Values, value: Runtime) -> tuple[str, dict[str, Any] | None]:
    """The environment variable that carries `value` into the task: (name, tree to bind, or None when the task
    already has it)."""
    tree = value.tree
    name = tree.get("param")
    if isinstance(name, str) and name in ev.params and name not in ev.env and _SHELL_NAME.fullmatch(name):
        return name, None
    name = tree.get("env", tree.get("bare"))
    if isinstance(name, str) and (name in _ALWAYS_SET or name in ev.params or name in ev.known_env) and \
            name not in ev.env and _SHELL_NAME.fullmatch(name):
        return name, None
    for bound, result in ev.env.items():
        if isinstance(result, Runtime) and result.tree == tree and _SHELL_NAME.fullmatch(bound):
            return bound, None
    digest = hashlib.sha1(json.dumps(_placeless(tree), sort_keys=True).encode(), usedforsecurity=False).hexdigest()
    return "J2F_" + digest[:10].upper(), tree


def _placeless(tree: Any) -> Any:
    """`tree` without its source places ("at"): the same expression in another job (or line) names the same
    variable, so the same script makes the same task document wherever it is (the binding keeps its place)."""
    if isinstance(tree, dict):
        return {k: _placeless(v) for k, v in tree.items() if k != "at"}
    if isinstance(tree, list):
        return [_placeless(v) for v in tree]
    return tree


def _abort(unknown: Unknown) -> str:
    place = f"{unknown.span.path}:{unknown.span.line}" if unknown.span else "Jenkinsfile"
    return "${J2F_UNRESOLVED:?" + re.sub(r"[^A-Za-z0-9_.:/ -]", "_", f"{place} Groovy value not converted") + "}"


def shell_script(ev: Values, value: Any, span: Span, shell: str = "sh") -> ShellText:
    """The script of a `sh`/`bat`/`powershell` step whose script argument is `value`."""
    parts = parts_of(ev, value, span)
    env: dict[str, dict[str, Any]] = {}
    unknown: list[Unknown] = [p for kind, p in parts if kind == "unknown"]
    values = [p for kind, p in parts if kind == "value"]
    if shell == "sh" and len(parts) == 1 and values:
        name, tree = variable(ev, values[0])
        if tree is not None:
            env[name] = tree
        return ShellText(f'eval "${{{name}}}"', env, ())
    if shell == "powershell":
        unknown += [Unknown("a run-time value in a powershell script is not converted", span) for _ in values]
        return ShellText("".join(p if kind == "text" else "" for kind, p in parts), {}, tuple(unknown))
    out: list[str] = []
    state = _Sh()
    for kind, p in parts:
        if kind == "text":
            out.append(p)
            state.feed(p)
            continue
        if kind == "unknown":
            ref = _abort(p)
            out.append("'\"" + ref + "\"'" if state.context() == "single" else ref)
            state.value_inserted()
            continue
        name, tree = variable(ev, p)
        where = state.context() if shell == "sh" else "normal"
        so_far = "".join(out[-2:])
        if shell == "sh" and where != "single" and so_far.endswith("$") and not so_far.endswith("\\$"):
            where = "dollar"  # Jenkins pastes a name after `$`: the shell would expand the pasted name
        if where in _NO_VARIABLE:
            unknown.append(Unknown(f"a run-time value {_NO_VARIABLE[where]} cannot reach the shell unchanged",
                                   _place(p, span)))
            out.append(_abort(unknown[-1]))
        else:
            if tree is not None:
                env[name] = tree
            ref = f"%{name}%" if shell == "bat" else "${" + name + "}"
            out.append("'\"" + ref + "\"'" if where == "single" else ref)
        state.value_inserted()
    return ShellText("".join(out), env, tuple(unknown))


def shell_word(ev: Values, value: Any, span: Span) -> ShellText:
    """The value as one shell word (a `dir()` path for `cd`): quoted static text, `"${X}"` for run-time parts."""
    parts = parts_of(ev, value, span)
    unknown = tuple(p for kind, p in parts if kind == "unknown")
    if unknown:
        return ShellText("", {}, unknown)
    if all(kind == "text" for kind, _ in parts):
        return ShellText(shlex.quote("".join(p for _, p in parts)))
    env: dict[str, dict[str, Any]] = {}
    out = ['"']
    for kind, p in parts:
        if kind == "text":
            out.append(re.sub(r'([\\$`"])', r"\\\1", p))
        else:
            name, tree = variable(ev, p)
            if tree is not None:
                env[name] = tree
            out.append("${" + name + "}")
    out.append('"')
    return ShellText("".join(out), env, ())


def _place(value: Runtime, default: Span) -> Span:
    at = value.tree.get("at")
    if isinstance(at, str):
        m = re.fullmatch(r"(.*):(\d+):(\d+)", at)
        if m:
            return Span(m.group(1), int(m.group(2)), int(m.group(3)))
    return default


_NO_VARIABLE = {
    "heredoc-quoted": "inside a quoted here-document (<<'EOF')",
    "ansi": "inside $'...'",
    "escaped": "right after a backslash",
    "dollar": "right after '$' (it names a shell variable)",
    "lost": "where the converter cannot follow the shell's quoting",
}


_PLAIN = re.compile(r"""[^\\'"$`)#<\n]+""")  # characters _Sh._normal_char only remembers as `prev`


class _Sh:
    """Follows POSIX shell quoting through the static text, to know where a value lands: normal, single or double
    quotes, `$'...'`, a comment, a here-document body (quoted or not)."""

    def __init__(self) -> None:
        self.stack = ["n"]  # n: normal, s: '...', d: "...", a: $'...', c: $(...), b: `...`
        self.comment = False
        self.escape = False
        self.pending: list[tuple[str, bool, bool]] = []  # here-documents whose body starts at the next newline
        self.heredoc: tuple[str, bool, bool] | None = None  # (delimiter, quoted, strip tabs) of the current body
        self.line = ""
        self.prev = "\n"
        self.lost = False

    def context(self) -> str:
        if self.lost:
            return "lost"
        if self.escape:
            return "escaped"
        if self.heredoc is not None:
            return "heredoc-quoted" if self.heredoc[1] else "heredoc"
        if self.comment:
            return "comment"
        return {"s": "single", "d": "double", "a": "ansi"}.get(self.stack[-1], "normal")

    def value_inserted(self) -> None:
        self.prev = "x"
        if self.heredoc is not None:
            self.line += "\0"

    def feed(self, text: str) -> None:
        i, n = 0, len(text)
        while i < n:
            c = text[i]
            if self.escape:
                self.escape = False
                if self.heredoc is not None:
                    self.line += c
                self.prev = "x"
            elif self.heredoc is not None:
                self._heredoc_char(c)
            elif self.stack[-1] == "s":
                if c == "'":
                    self.stack.pop()
                else:  # nothing but the closing quote matters here
                    end = text.find("'", i)
                    i = (end if end >= 0 else n) - 1
            elif self.stack[-1] in ("d", "a"):
                i = self._quoted_char(text, i, c)
            elif self.comment:
                if c == "\n":
                    self.comment = False
                    self._newline()
                else:  # nor here but the end of the line
                    end = text.find("\n", i)
                    i = (end if end >= 0 else n) - 1
            elif (plain := _PLAIN.match(text, i)) is not None:  # a run of characters that change nothing but `prev`
                i = plain.end() - 1
                self.prev = text[i]
            else:
                i = self._normal_char(text, i, c)
            i += 1

    def _heredoc_char(self, c: str) -> None:
        assert self.heredoc is not None
        if c == "\n":
            delim, _, strip = self.heredoc
            line = self.line.lstrip("\t") if strip else self.line
            self.line = ""
            if line == delim:
                self.heredoc = self.pending.pop(0) if self.pending else None
        else:
            self.line += c
            if c == "\\" and not self.heredoc[1]:
                self.escape = True

    def _quoted_char(self, text: str, i: int, c: str) -> int:
        top = self.stack[-1]
        if c == "\\":
            self.escape = True
        elif (c == '"' and top == "d") or (c == "'" and top == "a"):
            self.stack.pop()
        elif top == "d" and text.startswith("$(", i):
            self.stack.append("c")
            return i + 1
        elif top == "d" and c == "`":
            self.stack.append("b")
        return i

    def _normal_char(self, text: str, i: int, c: str) -> int:
        top = self.stack[-1]
        if c == "\\":
            self.escape = True
        elif c == "'":
            self.stack.append("s")
        elif c == '"':
            self.stack.append("d")
        elif text.startswith("$'", i):
            self.stack.append("a")
            i += 1
        elif text.startswith("$(", i):
            self.stack.append("c")
            i += 1
        elif c == "`":
            if top == "b":
                self.stack.pop()
            else:
                self.stack.append("b")
        elif c == ")" and top == "c":
            self.stack.pop()
        elif c == "#" and self.prev in " \t\n;&|(":
            self.comment = True
        elif text.startswith("<<", i) and not text.startswith("<<<", i):
            i = self._heredoc_operator(text, i + 2) - 1
        elif c == "\n":
            self._newline()
        self.prev = c
        return i

    def _newline(self) -> None:
        if self.pending and self.heredoc is None:
            self.heredoc = self.pending.pop(0)
            self.line = ""

    def _heredoc_operator(self, text: str, i: int) -> int:
        strip = text.startswith("-", i)
        i += 1 if strip else 0
        while i < len(text) and text[i] in " \t":
            i += 1
        m = re.match(r"""(?:[^\s;&|<>()'"\\]|\\.|'[^']*'|"[^"]*")+""", text[i:])
        if m is None:
            self.lost = True
            return i
        word = m.group()
        quoted = any(ch in word for ch in "'\"\\")
        delimiter = re.sub(r"""\\(.)|['"]""", lambda x: x.group(1) or "", word)
        self.pending.append((delimiter, quoted, strip))
        return i + m.end()
