"""Root-specific parts of a config.xml: the pipeline definition, matrix axes, the Maven build, branch sources.

Each reader takes one top-level element and fills the job being built (`JobAcc`); the generic top-level loop in
`job_xml` calls them through `TOP_LEVEL`, keyed by the exact tag.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from jenkins2flow.ir.nodes import Axis, Param, Plugin, Scm, Trigger, Value, XmlNode
from jenkins2flow.parse.xml.common import (
    Ctx,
    Element,
    child,
    child_own_text,
    child_text,
    class_name,
    elements,
    generic_fields,
    own_text,
    parse_bool,
    threshold,
)
from jenkins2flow.parse.xml.parameters import parse_parameters_property
from jenkins2flow.parse.xml.plugins import parse_plugin, parse_plugins
from jenkins2flow.parse.xml.scm import parse_branch_source, parse_scm
from jenkins2flow.parse.xml.triggers import parse_triggers

ROOT_KINDS: dict[str, str] = {
    "project": "freestyle",
    "flow-definition": "pipeline",
    "matrix-project": "matrix",
    "maven2-moduleset": "maven",
    "com.cloudbees.hudson.plugins.folder.Folder": "folder",
    "org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject": "multibranch",
    "jenkins.branch.OrganizationFolder": "organization-folder",
}

# Roots that are a known kind in all but name (subclasses with the same layout), read as that kind with a note.
ROOT_ALIASES: dict[str, str] = {
    "org.jenkinsci.plugins.pipeline.multibranch.defaults.PipelineMultiBranchDefaultsProject": "multibranch",
}

MAVEN_ROOT_CLASS = "hudson.maven.MavenModuleSet"


@dataclass(slots=True)
class JobAcc:
    """The job being read: the Job fields as mutable values, turned into a frozen Job at the end."""

    kind: str
    root_tag: str
    description: str = ""
    disabled: bool = False
    concurrent_build: bool = False
    can_roam: bool = False
    assigned_node: str = ""
    quiet_period: int | None = None
    script: str = ""
    script_line: int = 0
    scm: Scm | None = None
    sources: list[Scm] = field(default_factory=list)
    script_path: str = ""
    parameters: list[Param] = field(default_factory=list)
    triggers: list[Trigger] = field(default_factory=list)
    builders: list[Plugin] = field(default_factory=list)
    prebuilders: list[Plugin] = field(default_factory=list)
    postbuilders: list[Plugin] = field(default_factory=list)
    publishers: list[Plugin] = field(default_factory=list)
    wrappers: list[Plugin] = field(default_factory=list)
    properties: list[Plugin] = field(default_factory=list)
    axes: list[Axis] = field(default_factory=list)
    settings: list[tuple[str, str]] = field(default_factory=list)
    unknown: list[XmlNode] = field(default_factory=list)
    maven: dict[str, Value] = field(default_factory=dict)
    maven_line: int = 0


Reader = Callable[[Element, Ctx, JobAcc], None]
TOP_LEVEL: dict[str, Reader] = {}


def reads(*tags: str) -> Callable[[Reader], Reader]:
    def register(fn: Reader) -> Reader:
        for tag in tags:
            TOP_LEVEL[tag] = fn
        return fn

    return register


# ---- common to every root ---------------------------------------------------------------------------------------


@reads("description")
def _description(el: Element, ctx: Ctx, acc: JobAcc) -> None:
    acc.description = own_text(el, ctx)


@reads("disabled")
def _disabled(el: Element, ctx: Ctx, acc: JobAcc) -> None:
    acc.disabled = parse_bool(el.text or "", False)


@reads("concurrentBuild")
def _concurrent(el: Element, ctx: Ctx, acc: JobAcc) -> None:
    acc.concurrent_build = parse_bool(el.text or "", acc.concurrent_build)


@reads("canRoam")
def _can_roam(el: Element, ctx: Ctx, acc: JobAcc) -> None:
    acc.can_roam = parse_bool(el.text or "", False)
    acc.settings.append(("canRoam", own_text(el, ctx)))


@reads("assignedNode")
def _assigned_node(el: Element, ctx: Ctx, acc: JobAcc) -> None:
    acc.assigned_node = (el.text or "").strip()


@reads("quietPeriod")
def _quiet_period(el: Element, ctx: Ctx, acc: JobAcc) -> None:
    try:
        acc.quiet_period = int((el.text or "").strip())
    except ValueError:
        own_text(el, ctx)  # once it has not raised, `el.text` is what the usual tree has
        ctx.report("warning", f"Quiet period {el.text!r} is not a whole number of seconds; ignored.", el)


@reads("scm")
def _scm(el: Element, ctx: Ctx, acc: JobAcc) -> None:
    acc.scm = parse_scm(el, ctx)


@reads("triggers")
def _triggers(el: Element, ctx: Ctx, acc: JobAcc) -> None:
    acc.triggers.extend(parse_triggers(el, ctx))


def _plugin_list(field_name: str) -> Reader:
    """A reader for a container of plugin elements (builders, publishers, ...): each child becomes a Plugin."""

    def read(el: Element, ctx: Ctx, acc: JobAcc) -> None:
        getattr(acc, field_name).extend(parse_plugins(el, ctx))

    return read


# tag in config.xml -> JobAcc field
PLUGIN_CONTAINERS = {"builders": "builders", "prebuilders": "prebuilders", "postbuilders": "postbuilders",
                     "publishers": "publishers", "buildWrappers": "wrappers"}
for _tag, _field in PLUGIN_CONTAINERS.items():
    TOP_LEVEL[_tag] = _plugin_list(_field)


PARAMETERS_PROPERTY = "hudson.model.ParametersDefinitionProperty"
PIPELINE_TRIGGERS_PROPERTY = "org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty"
DISABLE_CONCURRENT_PROPERTY = "org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty"


@reads("properties")
def _properties(el: Element, ctx: Ctx, acc: JobAcc) -> None:
    base = ctx.path_of(el) if ctx.doc is not None else ()
    for i, prop in enumerate(el[:]):
        tag = prop.tag
        if tag.__class__ is not str:
            continue
        acc.properties.append(parse_plugin(prop, ctx, tag, (*base, i)))
        if tag == PARAMETERS_PROPERTY:
            acc.parameters.extend(parse_parameters_property(prop, ctx))
        elif tag == PIPELINE_TRIGGERS_PROPERTY:
            inner = child(prop, "triggers")
            if inner is not None:
                acc.triggers.extend(parse_triggers(inner, ctx))
        elif tag == DISABLE_CONCURRENT_PROPERTY:
            acc.concurrent_build = False


# ---- flow-definition ----------------------------------------------------------------------------------------------

CPS_FLOW = "org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition"
CPS_SCM_FLOW = "org.jenkinsci.plugins.workflow.cps.CpsScmFlowDefinition"
SCM_BINDER = "org.jenkinsci.plugins.workflow.multibranch.SCMBinder"


@reads("definition")
def _definition(el: Element, ctx: Ctx, acc: JobAcc) -> None:
    cls = el.get("class") or ""
    if cls == CPS_FLOW:
        script = child(el, "script")
        if script is not None:
            acc.script = own_text(script, ctx)
            acc.script_line = script.sourceline or 1
        acc.settings.append(("sandbox", (child_text(el, "sandbox") or "").strip()))
    elif cls == CPS_SCM_FLOW:
        path = (child_own_text(el, "scriptPath", ctx) or "Jenkinsfile").strip()
        scm = child(el, "scm")
        acc.scm = parse_scm(scm, ctx, path) if scm is not None else Scm("none", ctx.span(el), script_path=path)
        acc.script_path = path
        acc.settings.append(("lightweight", (child_text(el, "lightweight") or "").strip()))
    elif cls == SCM_BINDER:  # a multibranch branch job: the script comes from the branch's own SCM
        path = (child_own_text(el, "scriptPath", ctx) or "Jenkinsfile").strip()
        acc.script_path = path
        acc.scm = Scm("other", ctx.span(el), script_path=path, raw=ctx.raw(el))
    else:
        ctx.report("warning", f"Pipeline definition {cls!r} is not read; its script is kept raw.", el)
        acc.unknown.append(ctx.raw(el))


# ---- matrix-project -------------------------------------------------------------------------------------------------


@reads("axes")
def _axes(el: Element, ctx: Ctx, acc: JobAcc) -> None:
    for axis in elements(el):
        name = (child_own_text(axis, "name", ctx) or child_own_text(axis, "varName", ctx) or "").strip()
        values_el = child(axis, "values")
        if values_el is None:
            values_el = child(axis, "axisValues")
        values = tuple((v.text or "").strip() for v in elements(values_el)) if values_el is not None else ()
        if not name:
            ctx.report("warning", f"Matrix axis {axis.tag!r} has no name.", axis)
        acc.axes.append(Axis(name, values, span=ctx.span(axis), kind=axis.tag))


# ---- maven2-moduleset -------------------------------------------------------------------------------------------

MAVEN_FIELDS: dict[str, Callable[[Element, Ctx], Value]] = {
    "rootPOM": lambda e, c: (e.text or "").strip(),
    "goals": own_text,
    "defaultGoals": own_text,
    "mavenName": lambda e, c: (e.text or "").strip(),
    "mavenOpts": own_text,
    "alternateSettings": lambda e, c: (e.text or "").strip(),
    "localRepository": class_name,
    "settings": lambda e, c: {"class": e.get("class") or "", **generic_fields(e)},
    "globalSettings": lambda e, c: {"class": e.get("class") or "", **generic_fields(e)},
    "rootModule": lambda e, c: generic_fields(e),
    "runPostStepsIfResult": threshold,
    "reporters": parse_plugins,
    "incrementalBuild": lambda e, c: parse_bool(e.text or "", False),
    "aggregatorStyleBuild": lambda e, c: parse_bool(e.text or "", True),
    "ignoreUpstremChanges": lambda e, c: parse_bool(e.text or "", False),
}


def _maven_field(el: Element, ctx: Ctx, acc: JobAcc) -> None:
    if acc.root_tag != "maven2-moduleset":
        _keep(el, ctx, acc)
        return
    acc.maven[el.tag] = MAVEN_FIELDS[el.tag](el, ctx)


for _tag in MAVEN_FIELDS:
    TOP_LEVEL.setdefault(_tag, _maven_field)


def maven_builder(acc: JobAcc, ctx: Ctx) -> Plugin:
    """The Maven build of a maven2-moduleset as one builder, between its prebuilders and postbuilders."""
    from jenkins2flow.ir.nodes import Span

    return Plugin(MAVEN_ROOT_CLASS, Span(ctx.path, acc.maven_line or 1, 1), fields=tuple(acc.maven.items()))


# ---- folders, multibranch, organization folders ----------------------------------------------------------------


@reads("sources")
def _sources(el: Element, ctx: Ctx, acc: JobAcc) -> None:
    for src in el.iterfind("data/*"):
        if not isinstance(src.tag, str):
            continue
        inner = child(src, "source")
        acc.sources.append(parse_branch_source(inner if inner is not None else src, ctx))


@reads("navigators")
def _navigators(el: Element, ctx: Ctx, acc: JobAcc) -> None:
    for nav in elements(el):
        acc.sources.append(parse_branch_source(nav, ctx))


@reads("factory")
def _factory(el: Element, ctx: Ctx, acc: JobAcc) -> None:
    acc.script_path = (child_text(el, "scriptPath") or "").strip()
    if not acc.script_path:
        acc.unknown.append(ctx.raw(el))


@reads("projectFactories")
def _project_factories(el: Element, ctx: Ctx, acc: JobAcc) -> None:
    for fac in elements(el):
        path = (child_text(fac, "scriptPath") or "").strip()
        if path and not acc.script_path:
            acc.script_path = path
    acc.unknown.append(ctx.raw(el))


# ---- everything else ----------------------------------------------------------------------------------------------


def _keep(el: Element, ctx: Ctx, acc: JobAcc) -> None:
    """An unread top-level element: a plain leaf goes to settings, anything else stays raw in unknown."""
    if len(el) == 0 and not el.attrib:
        acc.settings.append((el.tag, el.text or ""))
    else:
        acc.unknown.append(ctx.raw(el))


keep_top_level = _keep


def read_top_level(el: Element, ctx: Ctx, acc: JobAcc) -> None:
    TOP_LEVEL.get(el.tag, _keep)(el, ctx, acc)


def finish_sources(acc: JobAcc) -> None:
    """Multibranch / organization folders: the first branch source is the job's SCM, with the script path."""
    if acc.sources and acc.scm is None:
        first = acc.sources[0]
        acc.scm = Scm(first.kind, first.span, url=first.url, branches=first.branches,
                      credentials_id=first.credentials_id, script_path=acc.script_path, raw=first.raw)

