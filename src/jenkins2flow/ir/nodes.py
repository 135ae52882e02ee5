"""The intermediate representation: what a Jenkins job says, typed and frozen.

Both parsers (config.xml and Jenkinsfile) produce these nodes; the converter reads them. Nothing here imports
anything downstream. Every node carries a Span so that any diagnostic or coverage entry can point at its source.

Values taken from Groovy are plain Python values (str, int, float, bool, None, tuples, `Mapping`s) or one of the
structured values below: `GString` (an interpolated string with its references kept), `Expr` (source text we keep
but do not evaluate) and `Closure` (a block of statements passed as an argument).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Level = Literal["error", "warning", "info"]


@dataclass(frozen=True, slots=True)
class Span:
    """A place in a source file; lines and columns count from 1."""

    path: str
    line: int = 1
    col: int = 1
    end_line: int = 0
    end_col: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    level: Level
    message: str
    span: Span
    code: str = ""

    def __str__(self) -> str:
        return f"{self.span}: {self.message}"


# ---- Groovy values ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Interp:
    """A `${...}` or `$name` reference inside a GString; `expr` is its source text, e.g. `params.RUN_DATE`."""

    expr: str


@dataclass(frozen=True, slots=True)
class GString:
    """An interpolated string: literal text parts and references, in order."""

    parts: tuple[str | Interp, ...]

    @property
    def text(self) -> str:
        """The string as written, with each reference shown as `${expr}`."""
        return "".join(p if isinstance(p, str) else "${" + p.expr + "}" for p in self.parts)


@dataclass(frozen=True, slots=True)
class Expr:
    """A Groovy expression kept as source text (a variable, a method call, an operator expression...)."""

    text: str
    span: Span | None = None
    # Step calls found inside the expression: bare method calls (`sh(...)` in `sh(...).trim()`) as Steps, and
    # closures (`list.each { ... }` on the right of `=`) as Steps named `closure` with their statements as body.
    calls: tuple[Step, ...] = ()


@dataclass(frozen=True, slots=True)
class Closure:
    """A `{ ... }` block passed as an argument; its statements parsed as steps."""

    body: tuple[Step, ...]
    params: tuple[str, ...] = ()
    span: Span | None = None


Value = Any  # str | int | float | bool | None | GString | Expr | Closure | tuple[Value, ...] | dict[str, Value]


# ---- steps and stages ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Step:
    """One step call: `sh 'make'`, `withEnv([...]) { ... }`, `build job: 'x'`, or a freestyle builder.

    `name` is the step or plugin id (`sh`, `hudson.tasks.Shell`); `args` the positional arguments; `kwargs` the
    named ones in source order; `body` the statements of a trailing closure (withEnv, dir, retry, script...).
    Control flow of scripted pipelines uses reserved names: `if`, `try`, `for`, `while`, `switch`, `def`
    (variable), `function` (method definition), `assign`, `expr` (an expression statement kept as text),
    `unparsed` (source the parser could not read, kept in `raw`).
    """

    name: str
    span: Span
    args: tuple[Value, ...] = ()
    kwargs: tuple[tuple[str, Value], ...] = ()
    body: tuple[Step, ...] | None = None
    raw: str = ""
    children: tuple[tuple[str, tuple[Step, ...]], ...] = ()  # labelled blocks: ("then", ...), ("catch e", ...)

    def kwarg(self, key: str, default: Value = None) -> Value:
        for k, v in self.kwargs:
            if k == key:
                return v
        return default


@dataclass(frozen=True, slots=True)
class Tool:
    """A tool installation a pipeline or stage asks for: `tools { jdk 'JDK 11' }` -> Tool("jdk", "JDK 11")."""

    type: str  # the tool type's symbol: jdk, maven, gradle, nodejs, ant...
    name: Value  # the installation's name in Jenkins' global tool configuration
    span: Span


@dataclass(frozen=True, slots=True)
class Agent:
    """Where a pipeline or stage runs: any | none | label | node | docker | dockerfile | kubernetes | other."""

    kind: str
    label: str = ""
    image: str = ""
    args: str = ""
    options: tuple[tuple[str, Value], ...] = ()
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class EnvVar:
    """`NAME = value` in an environment block; `credential` is set for `credentials('id')`."""

    name: str
    value: Value
    span: Span
    credential: str = ""


@dataclass(frozen=True, slots=True)
class When:
    """A when condition: `kind` is the directive (branch, expression, allOf, not...), `args` its arguments,
    `children` the nested conditions of allOf/anyOf/not."""

    kind: str
    span: Span
    args: tuple[Value, ...] = ()
    kwargs: tuple[tuple[str, Value], ...] = ()
    children: tuple[When, ...] = ()


@dataclass(frozen=True, slots=True)
class WhenBlock:
    conditions: tuple[When, ...]
    span: Span
    before_agent: bool = False
    before_input: bool = False
    before_options: bool = False


@dataclass(frozen=True, slots=True)
class PostBlock:
    """A post condition (always, success, failure, ...) and its steps."""

    condition: str
    steps: tuple[Step, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Axis:
    name: str
    values: tuple[str, ...]
    span: Span | None = None
    negated: bool = False  # `notValues` in a matrix exclude
    kind: str = ""  # matrix-project axis class (hudson.matrix.TextAxis, LabelAxis...); "" for Jenkinsfile axes


@dataclass(frozen=True, slots=True)
class Matrix:
    axes: tuple[Axis, ...]
    excludes: tuple[tuple[Axis, ...], ...]  # each exclude is a set of axis constraints
    stages: tuple[Stage, ...]
    span: Span
    agent: Agent | None = None
    when: WhenBlock | None = None  # decided per cell
    environment: tuple[EnvVar, ...] = ()


@dataclass(frozen=True, slots=True)
class Stage:
    """A stage: exactly one of steps, stages, parallel or matrix is normally non-empty."""

    name: str
    span: Span
    steps: tuple[Step, ...] = ()
    stages: tuple[Stage, ...] = ()
    parallel: tuple[Stage, ...] = ()
    matrix: Matrix | None = None
    agent: Agent | None = None
    environment: tuple[EnvVar, ...] = ()
    when: WhenBlock | None = None
    options: tuple[Step, ...] = ()
    input: Step | None = None
    tools: tuple[Tool, ...] = ()
    post: tuple[PostBlock, ...] = ()
    fail_fast: bool = False


# ---- job-level ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Param:
    """A build parameter. `type` is one of string, text, boolean, choice, password, file, run, credentials,
    label, node, git, extended-choice, active-choice, or the plugin class when unknown."""

    name: str
    type: str
    span: Span
    default: Value = None
    description: str = ""
    choices: tuple[str, ...] = ()
    plugin: str = ""  # the XML class or Groovy step it came from
    extra: tuple[tuple[str, Value], ...] = ()
    raw: XmlNode | None = None  # the whole XML element, for config.xml parameters


@dataclass(frozen=True, slots=True)
class Trigger:
    """A trigger. `kind`: cron, pollscm, upstream, github-push, gitlab-push, generic-webhook, parameterized-cron,
    or other (with `plugin` naming the class)."""

    kind: str
    span: Span
    spec: str = ""
    upstream: tuple[str, ...] = ()
    threshold: str = ""
    plugin: str = ""
    extra: tuple[tuple[str, Value], ...] = ()
    raw: XmlNode | None = None  # the whole XML element, for config.xml triggers


@dataclass(frozen=True, slots=True)
class XmlNode:
    """An XML element kept whole: tag, attributes, text and children, with its line.

    The config.xml parser hands out a subclass whose `children` are built on first access (see
    `jenkins2flow.parse.xml.raw`); equality and hashing compare the five fields, whichever class holds them."""

    tag: str
    span: Span
    attrs: tuple[tuple[str, str], ...] = ()
    text: str = ""
    children: tuple[XmlNode, ...] = ()

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, XmlNode):
            return NotImplemented
        return (self.tag, self.span, self.attrs, self.text, self.children) == (
            other.tag, other.span, other.attrs, other.text, other.children)

    def __hash__(self) -> int:
        return hash((self.tag, self.span, self.attrs, self.text, self.children))

    def find(self, tag: str) -> XmlNode | None:
        for c in self.children:
            if c.tag == tag:
                return c
        return None

    def findtext(self, tag: str, default: str = "") -> str:
        c = self.find(tag)
        return c.text if c is not None else default


@dataclass(frozen=True, slots=True)
class Plugin:
    """A config.xml element under builders, publishers, buildWrappers, properties, triggers or scm.

    `cls` is the element tag (the Java class, e.g. `hudson.tasks.Shell`), `plugin` the `plugin="x@1.0"` attribute,
    `fields` the simple child values we understood, `raw` the whole element.
    """

    cls: str
    span: Span
    plugin: str = ""
    fields: tuple[tuple[str, Value], ...] = ()
    raw: XmlNode | None = None

    def field(self, key: str, default: Value = None) -> Value:
        for k, v in self.fields:
            if k == key:
                return v
        return default


@dataclass(frozen=True, slots=True)
class Scm:
    kind: str  # git, none, other
    span: Span
    url: str = ""
    branches: tuple[str, ...] = ()
    credentials_id: str = ""
    script_path: str = ""  # Jenkinsfile path for CpsScmFlowDefinition / multibranch
    raw: XmlNode | None = None


JobKind = Literal[
    "freestyle",
    "pipeline",  # flow-definition or a Jenkinsfile
    "matrix",
    "maven",
    "folder",
    "multibranch",
    "organization-folder",
    "unsupported",
]


@dataclass(frozen=True, slots=True)
class Job:
    """One Jenkins job, from a config.xml, a Jenkinsfile, or both (flow-definition with an inline script)."""

    full_name: str
    kind: str
    span: Span
    source: str = ""  # path or URL it was read from
    root_tag: str = ""  # XML root element, or "Jenkinsfile"
    flavor: str = ""  # declarative | scripted for pipelines
    description: str = ""
    disabled: bool = False
    parameters: tuple[Param, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    agent: Agent | None = None
    environment: tuple[EnvVar, ...] = ()
    options: tuple[Step, ...] = ()
    tools: tuple[Tool, ...] = ()
    libraries: tuple[str, ...] = ()
    stages: tuple[Stage, ...] = ()
    post: tuple[PostBlock, ...] = ()
    steps: tuple[Step, ...] = ()  # top-level statements of a scripted pipeline, outside any stage
    functions: tuple[Step, ...] = ()  # `def f() {...}` definitions
    scm: Scm | None = None
    builders: tuple[Plugin, ...] = ()
    publishers: tuple[Plugin, ...] = ()
    wrappers: tuple[Plugin, ...] = ()
    properties: tuple[Plugin, ...] = ()
    axes: tuple[Axis, ...] = ()  # matrix-project axes
    assigned_node: str = ""
    concurrent_build: bool = True
    quiet_period: int | None = None
    script: str = ""  # the Jenkinsfile text, when there is one
    children: tuple[str, ...] = ()  # full names of jobs inside a folder / multibranch
    unknown: tuple[XmlNode, ...] = ()  # top-level XML elements we did not read, kept raw
    prebuilders: tuple[Plugin, ...] = ()  # maven2-moduleset: builders before the Maven build (builders = the build)
    postbuilders: tuple[Plugin, ...] = ()  # maven2-moduleset: builders after the Maven build
    settings: tuple[tuple[str, str], ...] = ()  # other top-level leaf elements as (tag, text): canRoam, jdk...
    sources: tuple[Scm, ...] = ()  # multibranch branch sources / organization-folder navigators
    aliases: tuple[str, ...] = ()  # other names for the job, e.g. a multibranch branch's mangled directory path
    name_guessed: bool = False  # full_name comes from a loose file's name, not from Jenkins (H hashes it)
    lines: tuple[tuple[str, int], ...] = ()  # config.xml: the line of each top-level element, by tag
    diagnostics: tuple[Diagnostic, ...] = field(default=())


def span_of(job: Job, tag: str) -> Span:
    """Where a config.xml job's top-level element `tag` (jdk, customWorkspace, assignedNode...) is; else the job's."""
    for name, line in job.lines:
        if name == tag:
            return Span(job.span.path, line, 1)
    return job.span
