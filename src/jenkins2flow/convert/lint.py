"""The "no silent error" lint, run on every conversion (convert.job) and in the tests.

A converted pipeline may run and still not do what Jenkins does, without any error: a `$NAME` no one sets expands
to nothing, Groovy left in a shell script is a "bad substitution", a gate that cannot decide lets its stage run,
two triggers of the Jenkins job run it twice. Each rule below finds one such case; a finding is a warning with the
`file:line:col` of the element that made the task, and the job is at best `partial`.

Rules (kinds):
- `unbound`: a `$NAME` / `${NAME}` in a shell (or container) command that nothing binds: not a pipeline
  parameter, not in the task's bindings, env or secrets, not a matrix axis, not a Jenkins variable the runtime sets
  (convert.jenkins_env: STAGE_NAME for a task from a stage; JENKINS_URL, BUILD_URL and JOB_URL are flagged, set
  only where the deployment gives the runtime a Jenkins URL or Airflow's base URL), not a standard shell name, not
  set earlier in the same script (assignment, export, local, declare, read, for, getopts, an arithmetic `(( i = 0 ))`
  or `((n++))`...). `${NAME:-default}` and the other forms with a default or an error count as bound. After
  `source`, `.` or `eval`, any name may be set: no more unbound findings in that script.
  The same rule reads the Groovy values computed in the run (the expression trees of a task's env, condition and
  bindings, and of the notifications): an `env.X` or bare `X` read that nothing in the pipeline sets (no parameter,
  no task's environment or secret, no matrix axis, not a Jenkins variable the runtime sets, not the worker's process
  environment) would read null; one of those conditional URLs is flagged as in a shell.
- `groovy`: Groovy syntax left in a shell command: `${params.X}`, `${env.X}`, `${x.y()}`, `${currentBuild...}`,
  `$params.X`; the shell refuses it (bad substitution) or expands something else.
- `gate`: a when-gate (or a matrix cell's condition) with a part the converter did not understand (a `fail` node:
  the gate stops the run there, never true by default), or a post gate with an unknown condition.
- `fallback`: more than one task triggering the Jenkins job, or a not-converted task among the tasks that run.
- `result`: a Groovy read of `currentBuild.result` / `currentBuild.currentResult` in a pipeline where a `catch` or
  `catchError` handles a failure: the runtime reads FAILURE once any task of the run failed, a handled one included,
  while Jenkins' result stays SUCCESS unless the handler set it (catchError's buildResult, `currentBuild.result =`).

The shell reader is linear and never runs anything: quotes (single quotes and quoted here-documents suppress
expansion), backslash escapes, `$(...)`, backticks, `$((...))`, `${...}` with their words, here-documents and
comments. Only `sh` scripts are read (`bat` and `powershell` are not POSIX shell).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from jenkins2flow_runtime import model
from jenkins2flow_runtime.executors.ssh_agent import VARIABLES as SSH_AGENT_VARIABLES
from jenkins2flow_runtime.expressions import fail_messages, nodes
from jenkins2flow_runtime.fallback import POST_GATES

from jenkins2flow.convert.conversion import FALLBACK_TASK, NOT_CONVERTED_TASK, Finding
from jenkins2flow.convert.evaluate.groovy_eval import JENKINS_NAMES, PROCESS_NAMES
from jenkins2flow.convert.jenkins_env import CONDITIONAL, JENKINS_VARIABLES, SHELL_VARIABLES, STAGE_VARIABLES
from jenkins2flow.ir import Span

KINDS = ("unbound", "groovy", "gate", "fallback")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(\+?=|\[)")
_SPECIAL = frozenset("@*#?$!-0123456789")
_OPS = frozenset(":-=?+#%/^,@[")
_DEFAULTING = ("-", ":-", "=", ":=", "?", ":?", "+", ":+")  # forms that never expand an unset name silently
_GROOVY_OBJECTS = frozenset({"params", "env", "currentBuild", "scm", "this", "it"})
# builtins whose plain word arguments are names they set; `for`/`select` set the first only
_DECLARERS = frozenset({"export", "local", "declare", "typeset", "readonly", "read", "mapfile", "readarray", "for",
                        "select", "getopts", "printf"})
_OPAQUE = frozenset({"source", ".", "eval"})
# in `((...))` / `$((...))`: a name an assignment operator (`=`, `+=`, `<<=`... not `==`) or `++`/`--` sets
_ARITH_SET = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:(?:[-+*/%&|^]|<<|>>)?=(?!=)|\+\+|--)"
                        r"|(?:\+\+|--)\s*([A-Za-z_][A-Za-z0-9_]*)")
_ARITH_WORD = re.compile(r"[A-Za-z0-9_]+")
_DOT_COMMAND = re.compile(r"\.(?=[ \t])")
_DELIMITER = re.compile(r"""(?:'([^'\n]*)'|"([^"\n]*)"|\\?([^\s;&|<>()'"]+))""")
_SEPARATORS = frozenset(";&|(){}\n")
_KEYWORDS = frozenset({"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "case", "esac", "in",
                       "!", "time", "{", "}"})
MAX_NESTING = 64  # deeper $( ( ${ nesting is read as plain text


@dataclass
class Usage:
    """What a shell script does with names, in order: uses nothing binds, Groovy left in it."""

    unbound: list[str] = field(default_factory=list)
    groovy: list[str] = field(default_factory=list)


class _Reader:
    """One pass over a script: each character is looked at a bounded number of times."""

    def __init__(self, text: str, bound: set[str]) -> None:
        self.s, self.n, self.bound = text, len(text), bound
        self.out = Usage()
        self.opaque = False
        self.heredocs: list[tuple[str, bool, bool]] = []  # (delimiter, expands, strips tabs) waiting for a newline
        self.depth = 0

    # ---- names ---------------------------------------------------------------------------------------------------

    def set(self, name: str) -> None:
        self.bound.add(name)

    def use(self, name: str) -> None:
        if not self.opaque and name not in self.bound:
            self.bound.add(name)  # reported once
            self.out.unbound.append(name)

    # ---- contexts ------------------------------------------------------------------------------------------------

    def deeper(self) -> bool:
        """One level of nesting deeper, or False (the depth unchanged) past MAX_NESTING: the caller reads no further."""
        self.depth += 1
        if self.depth > MAX_NESTING:
            self.depth -= 1
            return False
        return True

    def command(self, i: int, stop: str = "") -> int:
        """Shell commands from i until `stop` (`)` of `$(`, a backtick, `}` of a `${...}` word) or the end."""
        if not self.deeper():
            return self.n
        s, n = self.s, self.n
        parens = 0
        word_start, cmd_start = True, True
        mode, mode_words = "", 0
        while i < n:
            c = s[i]
            if stop and c == stop and not (stop == ")" and parens):
                self.depth -= 1
                return i + 1
            if c == "(" and word_start and s.startswith("((", i) and (cmd_start or mode == "for"):
                i = self.arith(i + 2)  # an arithmetic command, or the head of `for ((...))`
                word_start, cmd_start = True, False
                continue
            if c == "(" and stop == ")":
                parens += 1
            elif c == ")" and stop == ")":
                parens -= 1
            if c in " \t":
                word_start = True
                i += 1
                continue
            if c in _SEPARATORS:
                if c == "\n" and self.heredocs and stop != "}":
                    i = self.heredoc_bodies(i + 1)
                else:
                    i += 1
                word_start = cmd_start = True
                mode, mode_words = "", 0
                continue
            if word_start and stop != "}":
                word_start = False
                if c == "#":
                    end = s.find("\n", i)
                    i = n if end < 0 else end
                    continue
                m = _ASSIGN.match(s, i)
                if m:
                    self.set(m.group(1))
                    i = m.end()
                    continue
                m = _NAME.match(s, i) or (_DOT_COMMAND.match(s, i) if c == "." else None)
                if m:
                    word = m.group(0)
                    plain = m.end() >= n or s[m.end()] in " \t;&|)\n"
                    if cmd_start and word in _OPAQUE and plain:
                        self.opaque = True
                    elif cmd_start and word in _DECLARERS and plain:
                        mode, mode_words = word, 0
                    elif mode:
                        mode_words += 1
                        if plain and self.declares(mode, mode_words, s[i - 3:i]):
                            self.set(word)
                    cmd_start = cmd_start and word in _KEYWORDS
                    i = m.end()
                    continue
                if mode and c != "-":  # a word that is no name (`'ab:'`, `"$X"`, `5`) still counts: getopts' 2nd
                    mode_words += 1
                cmd_start = False
            i = self.char(i, c)
        self.depth -= 1
        return n

    @staticmethod
    def declares(mode: str, nth: int, before: str) -> bool:
        """Whether the nth plain word after `mode` (a declaring builtin) is a name it sets."""
        if mode in ("for", "select"):
            return nth == 1
        if mode == "getopts":
            return nth == 2
        if mode == "printf":
            return before.endswith("-v ")
        return True

    def char(self, i: int, c: str) -> int:
        """One character of a command or a word: quotes, escapes, expansions; returns the next index."""
        s = self.s
        if c == "\\":
            return i + 2
        if c == "'":
            end = s.find("'", i + 1)
            return self.n if end < 0 else end + 1
        if c == '"':
            return self.double(i + 1)
        if c == "`":
            return self.command(i + 1, "`")
        if c == "$":
            return self.dollar(i)
        if c == "<" and s.startswith("<<<", i):  # a here-string: its word is read as any other
            return i + 3
        if c == "<" and s.startswith("<<", i):
            return self.heredoc_head(i + 2)
        return i + 1

    def double(self, i: int, end: int = -1, quote: str = '"') -> int:
        """Inside double quotes (or an expanding here-document body, `quote` empty) from i."""
        s, n = self.s, (self.n if end < 0 else end)
        while i < n:
            c = s[i]
            if quote and c == quote:
                return i + 1
            if c == "\\":
                i += 2
            elif c == "$":
                i = self.dollar(i)
            elif c == "`":
                i = self.command(i + 1, "`")
            else:
                i += 1
        return n

    def dollar(self, i: int) -> int:
        s, n = self.s, self.n
        nxt = s[i + 1] if i + 1 < n else ""
        if nxt == "(":
            if s.startswith("((", i + 1):
                return self.arith(i + 3)
            return self.command(i + 2, ")")
        if nxt == "{":
            return self.braced(i + 2)
        if nxt == "'":  # $'...': ANSI-C quoting, no expansion
            j = i + 2
            while j < n and s[j] != "'":
                j += 2 if s[j] == "\\" else 1
            return j + 1
        if nxt in _SPECIAL and nxt:
            return i + 2
        m = _NAME.match(s, i + 1)
        if m is None:
            return i + 1
        name = m.group(0)
        if name in _GROOVY_OBJECTS and s.startswith(".", m.end()) and _NAME.match(s, m.end() + 1):
            tail = _NAME.match(s, m.end() + 1)
            self.out.groovy.append(s[i:tail.end() if tail else m.end()])
            return m.end()
        self.use(name)
        return m.end()

    def braced(self, i: int) -> int:
        """After `${`: the name, then `}` or an operator and its word (scanned for expansions too)."""
        s, n = self.s, self.n
        start = i - 2
        prefix = s[i] if i < n and s[i] in "#!" else ""
        j = i + len(prefix)
        m = _NAME.match(s, j)
        if m is None:
            if j < n and s[j] in _SPECIAL:
                k = j + 1
                while k < n and s[k].isdigit():
                    k += 1
                return self.word(k) if k < n and s[k] != "}" else k + 1
            if prefix == "#" and j < n and s[j] == "}":  # ${#}: the number of arguments
                return j + 1
            return self.groovy_braced(start)
        name, k = m.group(0), m.end()
        after = s[k] if k < n else ""
        if after == "}":
            self.use(name)
            return k + 1
        if after not in _OPS:
            return self.groovy_braced(start)
        op = s[k:k + 2] if s[k:k + 2] in _DEFAULTING else s[k]
        if prefix or op not in _DEFAULTING:
            self.use(name)
        elif op in ("=", ":="):
            self.set(name)
        return self.word(k)

    def arith(self, i: int) -> int:
        """Inside `((...))` or `$((...))` from i to after its `))`: expansions are read as anywhere, and a bare name
        an assignment operator or `++`/`--` applies to is set (`(( i = 0 ))`, `((n++))`); other bare names are
        arithmetic reads, not expansions, and never findings."""
        if not self.deeper():
            return self.n
        s, n = self.s, self.n
        parens = 0
        while i < n:
            c = s[i]
            if c == ")" and not parens:
                self.depth -= 1
                return i + 2 if s.startswith("))", i) else i + 1
            if c in "()":
                parens += 1 if c == "(" else -1
                i += 1
            elif c in "$`'\"\\":
                i = self.char(i, c)
            elif (m := _ARITH_SET.match(s, i)) and (i == 0 or not s[i - 1].isalnum() and s[i - 1] != "_"):
                self.set(m.group(1) or m.group(2))
                i = m.end()
            else:
                w = _ARITH_WORD.match(s, i)  # a whole name or number, so no set is found inside one
                i = w.end() if w else i + 1
        self.depth -= 1
        return n

    def word(self, i: int) -> int:
        """The word of a `${name<op>word}` up to its `}`: quotes and nested expansions count."""
        return self.command(i, "}")

    def groovy_braced(self, start: int) -> int:
        """`${...}` that is no shell expansion: Groovy left in the script; skipped to its `}` (or the line end)."""
        s = self.s
        depth, j = 0, start + 2
        limit = min(self.n, start + 400)
        while j < limit and s[j] != "\n":
            if s[j] == "{":
                depth += 1
            elif s[j] == "}":
                if depth == 0:
                    break
                depth -= 1
            j += 1
        self.out.groovy.append(s[start:j + 1])
        return j + 1

    # ---- here-documents ------------------------------------------------------------------------------------------

    def heredoc_head(self, i: int) -> int:
        """After `<<`: `-`? then the delimiter word; a quoted delimiter means the body is not expanded."""
        s, n = self.s, self.n
        strip = i < n and s[i] == "-"
        i += 1 if strip else 0
        while i < n and s[i] in " \t":
            i += 1
        m = _DELIMITER.match(s, i)
        if m is None:
            return i
        delim = next(g for g in m.groups() if g is not None)
        self.heredocs.append((delim, m.group(3) is not None and not s.startswith("\\", i), strip))
        return m.end()

    def heredoc_bodies(self, i: int) -> int:
        """The bodies of the here-documents opened on the line that just ended, starting at i."""
        s, n = self.s, self.n
        for delim, expands, strip in self.heredocs:
            body = i
            while i < n:
                end = s.find("\n", i)
                end = n if end < 0 else end
                line = s[i:end]
                if (line.lstrip("\t") if strip else line) == delim:
                    if expands:
                        self.double(body, i, quote="")
                    i = min(end + 1, n)
                    break
                i = end + 1
            else:
                if expands:
                    self.double(body, n, quote="")
                i = n
        self.heredocs = []
        return i


def shell_usage(script: str, bound: Iterable[str] = ()) -> Usage:
    """The names `script` uses that neither `bound` nor the script itself sets, and the Groovy left in it."""
    usage, names = _usage(script), set(bound)
    return Usage([name for name in usage.unbound if name not in names], list(usage.groovy))


@functools.lru_cache(maxsize=4096)
def _usage(script: str) -> Usage:
    """`shell_usage` with only the variables Jenkins and the shell set (jobs share most scripts). The reader only
    asks whether a name is bound when the script uses it, so binding more names only drops them from `unbound`."""
    reader = _Reader(script, set(JENKINS_VARIABLES | SHELL_VARIABLES))
    reader.command(0)
    return reader.out


# ---- pipelines ---------------------------------------------------------------------------------------------------


def parameter_names(spec: model.PipelineSpec, docs: dict[str, model.Document]) -> set[str]:
    """The pipeline's parameters (templates and overrides), as the tasks see them."""
    names = {p.name for p in spec.parameters.overrides}
    for ref in spec.parameters.templates:
        doc = docs.get(ref.name)
        if doc is not None and isinstance(doc.spec, model.ParameterTemplateSpec):
            names |= {p.name for p in doc.spec.parameters}
    return names


def env_reads(*trees: object) -> list[str]:
    """The environment variables the expression trees read (`env.X`, a bare `X`), in order, each once."""
    return env_names(n for tree in trees for n in nodes(tree))


def env_names(found: Iterable[dict[str, Any]]) -> list[str]:
    """`env_reads` of nodes already walked (`nodes`)."""
    names = (n.get("env", n.get("bare")) for n in found)
    return list(dict.fromkeys(n for n in names if isinstance(n, str)))


def set_in(tasks: list[model.PipelineTask], docs: dict[str, model.Document]) -> set[str]:
    """What the tasks' environments set, anywhere in the pipeline: their env, their documents' env and secrets, their
    matrix axes (a Groovy read in one task of a value another task's scope set is the join of if/parallel arms)."""
    names: set[str] = set()
    for t in tasks:
        spec = docs[t.uses.name].spec if t.uses.name in docs else None
        names |= set(t.env) | {k for cell in t.matrix for k in cell}
        if isinstance(spec, model.ConcreteTaskSpec):
            names |= set(spec.env) | {s.env for s in spec.secrets}
    return names


def unset_read(name: str, bound: set[str]) -> str:
    """Why a Groovy read of `name` would silently give null ("" when it is bound)."""
    if name in CONDITIONAL:
        return f"env.{name} may be unset: {CONDITIONAL[name]} (the task then fails rather than read null)"
    if name in bound or name in JENKINS_NAMES or name in PROCESS_NAMES:
        return ""
    return (f"env.{name} is read in Groovy but nothing sets it: no parameter, task environment, secret or Jenkins "
            "variable of the run, so it reads null")


def lint_tasks(tasks: list[model.PipelineTask], docs: dict[str, model.Document], params: set[str],
               spans: dict[str, Span], default: Span, *, runs: bool = True, known: Iterable[str] = ()) -> list[Finding]:
    """The findings of every rule on `tasks` (`runs`: the tasks Airflow runs, not a draft; `known`: environment
    variables the workers have, mappings `agents.env`)."""
    found: list[Finding] = []
    pipeline_env = params | set_in(tasks, docs) | set(known)

    def add(kind: str, task: model.PipelineTask, message: str) -> None:
        found.append(Finding(kind, task.id, spans.get(task.id, default), message))

    fallbacks = [t for t in tasks if t.uses.name == FALLBACK_TASK]
    if runs and len(fallbacks) > 1:
        for t in fallbacks[1:]:
            add("fallback", t, f"one of {len(fallbacks)} tasks triggering the Jenkins job: Jenkins cannot run part "
                "of a job, so each runs all of it")
    ids = {t.id for t in tasks}
    handled = {t.id for t in tasks if t.uses.name == REGION_END and t.bindings.get("handled_by") in ("catch", "all")}
    handled -= _caught_failures(tasks)  # a catchError whose build result FAILURE the run keeps
    for t in tasks:
        doc = docs.get(t.uses.name)
        spec = doc.spec if doc is not None else None
        if runs and t.uses.name == NOT_CONVERTED_TASK:
            add("fallback", t, "a task standing for an element that was not converted is among the tasks that run")
        if isinstance(spec, model.ConcreteTaskSpec) and spec.type in ("shell", "container") and spec.shell == "sh":
            axes = {k for cell in t.matrix for k in cell}
            bound = params | set(t.bindings) | set(t.env) | set(spec.env) | {s.env for s in spec.secrets} | axes
            bound |= {p.name for p in spec.parameters} | (SSH_AGENT_VARIABLES if spec.ssh_agent else set())
            bound |= STAGE_VARIABLES if t.stage else set()  # set for a task from a stage, as Jenkins does
            usage = shell_usage(spec.command, bound)
            for name in usage.unbound:
                if name in CONDITIONAL:
                    add("unbound", t, f"${name} may be unset: {CONDITIONAL[name]}, so the shell expands it to "
                        "nothing")
                    continue
                add("unbound", t, f"${name} is not bound: no parameter, binding, environment variable, Jenkins "
                    "variable or earlier assignment sets it, so the shell expands it to nothing")
            for text in usage.groovy:
                add("groovy", t, f"Groovy {text!r} is left in the shell command: Jenkins evaluates it, the shell "
                    "does not")
        trees = [*(v for v in t.env.values() if isinstance(v, dict)), t.condition,
                 *(v for v in t.bindings.values() if isinstance(v, dict))]
        walked = {id(tree): list(nodes(tree)) for tree in trees}  # each tree walked once for every rule below
        every = [n for tree in trees for n in walked[id(tree)]]
        for name in env_names(every):
            why = unset_read(name, pipeline_env | (STAGE_VARIABLES if t.stage else set()))
            if why:
                add("unbound", t, why)
        if handled and any(n.get("build") in RESULT_FIELDS for n in every):
            add("result", t, "it reads the build result, which the runtime makes FAILURE once any task failed, "
                f"one a catch or catchError handled ({', '.join(sorted(handled))}) included; Jenkins' result stays "
                "SUCCESS unless the handler set it")
        gated = [t.bindings.get("condition")] if t.uses.name == "airflow.when-gate" else []
        decided = [n for tree in (t.condition, *gated) for n in walked.get(id(tree)) or nodes(tree)]
        for what in fail_messages(decided):
            add("gate", t, f"the condition cannot be decided ({what}): the run stops there")
        if t.uses.name == "airflow.post-gate" and t.bindings.get("post_condition") not in POST_GATES:
            add("gate", t, f"unknown post condition {t.bindings.get('post_condition')!r}")
        for name in _named_tasks(t.bindings) - ids:
            add("gate", t, f"it decides on task {name!r}, which is not in the pipeline: it reads no state for it")
    return found


REGION_END = "airflow.block-end"  # control:region_end; `handled_by` when a catch or catchError handles a failure
RESULT_FIELDS = ("result", "currentResult")


# the bindings in which a control task (a gate or a region's end, jenkins2flow_runtime.control), or a check that
# reads the build result (archives.check_files), names other tasks
TASK_BINDINGS = ("entry_task", "body_tasks", "catch_tasks", "after_tasks", "last_tasks", "result_tasks")


def _named_tasks(bindings: dict[str, object]) -> set[str]:
    names: set[str] = set()
    for key in TASK_BINDINGS:
        value = bindings.get(key)
        names |= {value} if isinstance(value, str) and value else set(value) if isinstance(value, list) else set()
    blocks = bindings.get("caught_blocks")
    for block in blocks if isinstance(blocks, list) else []:
        names |= {block["end"], *block.get("body", ())} if isinstance(block, dict) else set()
    return {str(n) for n in names}


def _caught_failures(tasks: list[model.PipelineTask]) -> set[str]:
    """The ends of the catchError regions that record a build result FAILURE (the build_result task's
    `caught_blocks`): reading FAILURE after them is what Jenkins reads."""
    ends: set[str] = set()
    for t in tasks:
        blocks = t.bindings.get("caught_blocks")
        ends |= {str(b["end"]) for b in blocks if isinstance(b, dict)} if isinstance(blocks, list) else set()
    return ends


def lint_pipeline(spec: model.PipelineSpec, docs: dict[str, model.Document], spans: dict[str, Span] | None = None,
                  default: Span | None = None, known: Iterable[str] = ()) -> list[Finding]:
    """The findings on the tasks that run, then on the draft (a jenkins_only pipeline's converted work)."""
    params = parameter_names(spec, docs)
    where = default or Span(spec.provenance.source or spec.provenance.job or "<pipeline>")
    found = lint_tasks(spec.tasks, docs, params, spans or {}, where, known=known)
    found += lint_tasks(spec.draft_tasks, docs, params, spans or {}, where, runs=False, known=known)
    bound = params | set_in(spec.tasks or spec.draft_tasks, docs) | set(known)
    for n in spec.notifications:
        for name in env_reads(*n.values.values()):
            why = unset_read(name, bound)
            if why:
                found.append(Finding("unbound", f"notification on {n.on}", where, why))
    return found
