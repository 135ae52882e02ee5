"""Jenkinsfile -> `Job`: declarative (`pipeline { ... }`) and scripted pipelines.

`parse_jenkinsfile(text, path, full_name=None)` never raises. Syntax it cannot read is kept as `unparsed` steps
with an error diagnostic; directives it does not know are kept as steps with a warning.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath

from jenkins2flow.ir.nodes import (
    Agent,
    Axis,
    Closure,
    Diagnostic,
    EnvVar,
    Expr,
    Job,
    Matrix,
    Param,
    PostBlock,
    Span,
    Stage,
    Step,
    Tool,
    Trigger,
    Value,
    When,
    WhenBlock,
)
from jenkins2flow.parse import groovy_ast as A
from jenkins2flow.parse.groovy_ir import Ctx, iter_steps, scripted_stages, split_items, stage_name, steps
from jenkins2flow.parse.groovy_ir import _stage_items as stage_items
from jenkins2flow.parse.groovy_ir import value_text as _str
from jenkins2flow.parse.groovy_parser import MAX_INPUT, parse_groovy

__all__ = ["parse_jenkinsfile", "PARAM_TYPES", "TRIGGER_KINDS", "POST_CONDITIONS"]

# Groovy parameter step -> Param.type (anything else keeps the step name as its type).
PARAM_TYPES = {
    "string": "string",
    "text": "text",
    "booleanParam": "boolean",
    "choice": "choice",
    "password": "password",
    "file": "file",
    "base64File": "file",
    "stashedFile": "file",
    "run": "run",
    "credentials": "credentials",
    "gitParameter": "git",
    "extendedChoice": "extended-choice",
    "activeChoice": "active-choice",
    "activeChoiceParam": "active-choice",
    "reactiveChoice": "active-choice",
    "label": "label",
    "node": "node",
}
# Groovy trigger step -> Trigger.kind.
TRIGGER_KINDS = {
    "cron": "cron",
    "pollSCM": "pollscm",
    "upstream": "upstream",
    "parameterizedCron": "parameterized-cron",
    "GenericTrigger": "generic-webhook",
    "githubPush": "github-push",
    "gitlab": "gitlab-push",
    "gitlabPush": "gitlab-push",
}
POST_CONDITIONS = (
    "always", "changed", "fixed", "regression", "aborted", "failure", "success", "unstable", "unsuccessful", "cleanup",
)  # fmt: skip
_STAGE_DIRECTIVES = {"agent", "environment", "options", "tools", "input", "when", "post", "failFast", "steps",
                     "stages", "parallel", "matrix"}  # fmt: skip


def parse_jenkinsfile(text: str, path: str, full_name: str | None = None) -> Job:
    """Parse a Jenkinsfile into a `Job` (kind "pipeline", flavor declarative | scripted). Never raises."""
    name = full_name if full_name is not None else PurePath(path).stem or path
    try:
        return _parse(text, path, name)
    except Exception as e:  # noqa: BLE001 - one bad file must never stop a batch
        span = Span(path)
        diag = Diagnostic("error", f"The Jenkinsfile could not be read: {type(e).__name__}: {e}.", span, "parse-crash")
        return Job(name, "pipeline", span, source=path, root_tag="Jenkinsfile", diagnostics=(diag,))


def _parse(text: str, path: str, name: str) -> Job:
    ctx = Ctx(text if len(text) <= MAX_INPUT else "", path)
    mod = parse_groovy(text)
    for e in mod.errors:
        ctx.error(_sentence(e.message), e.start, e.end)
    top: list[Step] = []
    functions: list[Step] = []
    pipeline: Step | None = None
    for s in mod.body:
        st = _top_step(ctx, s)
        if st.name == "function":
            functions.append(st)
        elif st.name == "pipeline" and st.body is not None and pipeline is None and not st.args:
            pipeline = st
        else:
            top.append(st)
    job = _Builder(ctx, name, path, text)
    job.functions = functions
    job.steps = list(top)
    job.libraries.extend(_libraries(top))
    if pipeline is not None:
        job.flavor = "declarative"
        job.declarative(pipeline)
        # stages defined in scripted code outside `pipeline {}` (helper functions) come after the declared ones
        job.stages.extend(scripted_stages(job.steps))
        job.stages.extend(scripted_stages(functions))
    else:
        job.flavor = "scripted"
        job.stages.extend(scripted_stages(top))
        job.stages.extend(scripted_stages(functions))
    job.collect_properties()
    return job.build()


def _top_step(ctx: Ctx, s: A.Stmt) -> Step:
    from jenkins2flow.parse.groovy_ir import step

    return step(ctx, s)


def _sentence(msg: str) -> str:
    return msg if msg.endswith(".") else msg + "."


def _first(s: Step, key: str = "") -> Value:
    if s.args:
        return s.args[0]
    return s.kwarg(key) if key else None


def _libraries(top: Iterable[Step]) -> list[str]:
    out: list[str] = []
    for s in top:
        if s.name in ("@Library", "@groovy.transform.Library"):
            for v in (*s.args, s.kwarg("value")):
                if isinstance(v, tuple):
                    out.extend(_str(x) for x in v)
                elif v is not None:
                    out.append(_str(v))
        elif s.name == "library":
            v = _first(s, "identifier")
            if v is not None:
                out.append(_str(v))
    return out


class _Builder:
    def __init__(self, ctx: Ctx, name: str, path: str, text: str) -> None:
        self.ctx = ctx
        self.name = name
        self.path = path
        self.text = text
        self.flavor = ""
        self.agent: Agent | None = None
        self.environment: list[EnvVar] = []
        self.options: list[Step] = []
        self.parameters: list[Param] = []
        self.triggers: list[Trigger] = []
        self.tools: list[Tool] = []
        self.libraries: list[str] = []
        self.stages: list[Stage] = []
        self.post: list[PostBlock] = []
        self.steps: list[Step] = []
        self.functions: list[Step] = []

    def build(self) -> Job:
        return Job(
            self.name,
            "pipeline",
            Span(self.path, 1, 1),
            source=self.path,
            root_tag="Jenkinsfile",
            flavor=self.flavor,
            parameters=tuple(self.parameters),
            triggers=tuple(self.triggers),
            agent=self.agent,
            environment=tuple(self.environment),
            options=tuple(self.options),
            tools=tuple(self.tools),
            libraries=tuple(dict.fromkeys(self.libraries)),
            stages=tuple(self.stages),
            post=tuple(self.post),
            steps=tuple(self.steps),
            functions=tuple(self.functions),
            script=self.text,
            diagnostics=tuple(self.ctx.diagnostics),
        )

    def warn(self, message: str, span: Span, code: str = "unknown-directive") -> None:
        self.ctx.diagnostics.append(Diagnostic("warning", message, span, code))

    # -- declarative -------------------------------------------------------------------------------------------
    def declarative(self, pipeline: Step) -> None:
        for d in pipeline.body or ():
            n = d.name
            if n == "agent":
                self.agent = self.agent_of(d)
            elif n == "environment":
                self.environment.extend(self.env_of(d))
            elif n == "options":
                self.options.extend(_directive_steps(d))
            elif n == "parameters":
                self.parameters.extend(p for s in _directive_steps(d) if (p := self.param_of(s)))
            elif n == "triggers":
                self.triggers.extend(self.trigger_of(s) for s in _directive_steps(d))
            elif n == "tools":
                self.tools.extend(_tools(d))
            elif n == "libraries":
                self.libraries.extend(_str(_first(s)) for s in _directive_steps(d) if s.name == "lib")
            elif n == "stages":
                self.stages.extend(self.stages_of(d))
            elif n == "post":
                self.post.extend(self.post_of(d))
            elif n in ("unparsed",):
                continue
            else:
                self.warn(f"Unknown pipeline directive {n!r}; it is kept as a step.", d.span)
                self.steps.append(d)

    def agent_of(self, d: Step) -> Agent:
        sp = d.span
        if d.body is None:
            v = _first(d)
            if isinstance(v, Expr) and v.text in ("any", "none"):
                return Agent(v.text, span=sp)
            lab = d.kwarg("label")
            if lab is not None:
                return Agent("label", _str(lab), span=sp)
            return Agent("other", _str(v), span=sp, options=(("value", v),))
        inner = [s for s in d.body if s.name != "unparsed"]
        if not inner:
            return Agent("other", span=sp)
        s = inner[0]
        if s.name == "label":
            return Agent("label", _str(_first(s, "label")), span=sp, options=_kw_options(s, ("label",)))
        if s.name in ("node", "docker", "dockerfile", "kubernetes") or s.body is not None:
            opts = dict(s.kwargs)
            for x in s.body or ():
                if x.name not in ("unparsed",):
                    opts[x.name] = _first(x) if (x.args or not x.kwargs) else dict(x.kwargs)
            if s.args and s.body is None:
                if s.name == "docker":
                    opts["image"] = s.args[0]
                elif s.name == "dockerfile":
                    opts["enabled"] = s.args[0]
                else:
                    opts["label"] = s.args[0]
            label = _str(opts.pop("label", ""))
            image = _str(opts.pop("image", "")) if s.name == "docker" else ""
            args = _str(opts.pop("args", "")) if s.name in ("docker", "dockerfile") else ""
            return Agent(s.name, label, image, args, tuple(opts.items()), sp)
        return Agent("other", _str(_first(s)), span=sp, options=((s.name, _first(s)),))

    def env_of(self, d: Step) -> list[EnvVar]:
        out: list[EnvVar] = []
        for s in d.body or ():
            if s.name != "assign":
                if s.name != "unparsed":
                    self.warn(f"Unexpected {s.name!r} in an environment block; it is ignored.", s.span, "environment")
                continue
            val = s.kwarg("value")
            cred = ""
            if isinstance(val, Step) and val.name == "credentials":
                cred = _str(_first(val))
            out.append(EnvVar(_str(s.kwarg("target")), val, s.span, cred))
        return out

    def param_of(self, s: Step) -> Param | None:
        if s.name == "unparsed":
            return None
        kw = dict(s.kwargs)
        name = _str(kw.pop("name", s.args[0] if s.args else ""))
        ptype = PARAM_TYPES.get(s.name, s.name)
        default = kw.pop("defaultValue", kw.pop("value", None))
        if ptype == "boolean" and default is None:
            default = False
        desc = _str(kw.pop("description", ""))
        choices: tuple[str, ...] = ()
        if "choices" in kw:
            c = kw.pop("choices")
            if isinstance(c, tuple):
                choices = tuple(_str(x) for x in c)
            elif isinstance(c, str):
                choices = tuple(c.split("\n"))
            else:
                kw["choices"] = c
            if ptype == "choice" and default is None and choices:
                default = choices[0]
        plugin = "" if s.name in PARAM_TYPES and s.name == ptype else s.name
        return Param(name, ptype, s.span, default, desc, choices, plugin, tuple(kw.items()))

    def trigger_of(self, s: Step) -> Trigger:
        kind = TRIGGER_KINDS.get(s.name, "other")
        plugin = "" if kind != "other" else s.name
        spec = ""
        upstream: tuple[str, ...] = ()
        threshold = ""
        kw = dict(s.kwargs)
        if kind in ("cron", "pollscm", "parameterized-cron"):
            raw = s.args[0] if s.args else kw.pop("spec", kw.pop("parameterizedSpecification", ""))
            if not isinstance(raw, str):  # a variable, a GString, a ternary...: only Jenkins can compute it
                kw["computed"] = True
            spec = _str(raw)
        elif kind == "upstream":
            ups = s.args[0] if s.args else kw.pop("upstreamProjects", "")
            if isinstance(ups, tuple):
                upstream = tuple(_str(x).strip() for x in ups)
            else:
                upstream = tuple(x.strip() for x in _str(ups).split(",") if x.strip())
            th = kw.pop("threshold", None)
            threshold = _str(th).rsplit(".", 1)[-1] if th is not None else ""
        return Trigger(kind, s.span, spec, upstream, threshold, plugin, tuple(kw.items()))

    def stages_of(self, d: Step) -> list[Stage]:
        out: list[Stage] = []
        for s in d.body or ():
            if s.name == "stages":  # not valid here, but read leniently
                self.warn("A 'stages' block directly inside another block is read as its stages.", s.span, "stages")
                out.extend(self.stages_of(s))
            elif (st := self.stage_of(s)) is not None:
                out.append(st)
        return out

    def stage_of(self, s: Step) -> Stage | None:
        if s.name != "stage":
            if s.name != "unparsed":
                self.warn(f"Expected a stage but found {s.name!r}; it is ignored.", s.span, "stages")
            return None
        name = stage_name(s)
        st: dict[str, object] = {}
        steps_: tuple[Step, ...] = ()
        nested: list[Stage] = []
        parallel: list[Stage] = []
        for d in s.body or ():
            n = d.name
            if n == "steps":
                steps_ = d.body or ()
                items = stage_items(steps_)
                found, par, ff = split_items(items)
                nested.extend(found)
                parallel.extend(par)
                if ff:
                    st["fail_fast"] = True
            elif n == "stages":
                nested.extend(self.stages_of(d))
            elif n == "parallel":
                parallel.extend(self.stages_of(d))
            elif n == "matrix":
                st["matrix"] = self.matrix_of(d)
            elif n == "agent":
                st["agent"] = self.agent_of(d)
            elif n == "environment":
                st["environment"] = tuple(self.env_of(d))
            elif n == "options":
                st["options"] = _directive_steps(d)
            elif n == "tools":
                st["tools"] = tuple(_tools(d))
            elif n == "input":
                st["input"] = _input(d)
            elif n == "when":
                st["when"] = self.when_of(d)
            elif n == "post":
                st["post"] = tuple(self.post_of(d))
            elif n == "failFast":
                st["fail_fast"] = _first(d) is True
            elif n == "stage":
                self.warn(f"A stage directly inside stage {name!r} is read as a nested stage.", d.span, "stages")
                if (inner := self.stage_of(d)) is not None:
                    nested.append(inner)
            elif n != "unparsed":
                self.warn(f"Unknown stage directive {n!r} in stage {name!r}; it is ignored.", d.span)
        return Stage(name, s.span, steps_, tuple(nested), tuple(parallel), **st)  # type: ignore[arg-type]

    def matrix_of(self, d: Step) -> Matrix:
        axes: list[Axis] = []
        excludes: list[tuple[Axis, ...]] = []
        stages: list[Stage] = []
        agent = None
        when: WhenBlock | None = None
        environment: tuple[EnvVar, ...] = ()
        for x in d.body or ():
            if x.name == "axes":
                axes.extend(_axis(a) for a in x.body or () if a.name == "axis")
            elif x.name == "excludes":
                for ex in x.body or ():
                    if ex.name == "exclude":
                        excludes.append(tuple(_axis(a) for a in ex.body or () if a.name == "axis"))
            elif x.name == "stages":
                stages.extend(self.stages_of(x))
            elif x.name == "agent":
                agent = self.agent_of(x)
            elif x.name == "when":
                when = self.when_of(x)
            elif x.name == "environment":
                environment = tuple(self.env_of(x))
            elif x.name != "unparsed":
                self.warn(f"Matrix directive {x.name!r} is not read; it is ignored.", x.span)
        return Matrix(tuple(axes), tuple(excludes), tuple(stages), d.span, agent, when, environment)

    def when_of(self, d: Step) -> WhenBlock:
        conds: list[When] = []
        flags = {"beforeAgent": False, "beforeInput": False, "beforeOptions": False}
        for x in d.body or ():
            if x.name in flags:
                flags[x.name] = _first(x) is True
            elif x.name != "unparsed":
                conds.append(_when(x))
        return WhenBlock(tuple(conds), d.span, flags["beforeAgent"], flags["beforeInput"], flags["beforeOptions"])

    def post_of(self, d: Step) -> list[PostBlock]:
        out = []
        for x in d.body or ():
            if x.name == "unparsed":
                continue
            if x.name not in POST_CONDITIONS:
                self.warn(f"Unknown post condition {x.name!r}; it is kept.", x.span, "post")
            out.append(PostBlock(x.name, x.body or (), x.span))
        return out

    # -- properties([...]) anywhere -------------------------------------------------------------------------------
    def collect_properties(self) -> None:
        roots: list[Step] = [*self.steps, *self.functions]
        for st in _all_stage_steps(self.stages):
            roots.extend(st)
        for pb in self.post:
            roots.extend(pb.steps)
        seen: set[int] = set()
        for s in iter_steps(roots):
            if s.name != "properties" or id(s) in seen:
                continue
            seen.add(id(s))
            for prop in _flatten(s.args):
                if not isinstance(prop, Step):
                    continue
                if prop.name == "parameters":
                    for p in _flatten(prop.args):
                        if isinstance(p, Step) and (param := self.param_of(p)) is not None:
                            self.parameters.append(param)
                elif prop.name == "pipelineTriggers":
                    for t in _flatten(prop.args):
                        if isinstance(t, Step):
                            self.triggers.append(self.trigger_of(t))


def _all_stage_steps(stages: Iterable[Stage]) -> Iterable[tuple[Step, ...]]:
    for st in stages:
        yield st.steps
        for pb in st.post:
            yield pb.steps
        yield from _all_stage_steps(st.stages)
        yield from _all_stage_steps(st.parallel)
        if st.matrix is not None:
            yield from _all_stage_steps(st.matrix.stages)


def _flatten(vals: Iterable[Value]) -> Iterable[Value]:
    for v in vals:
        if isinstance(v, tuple):
            yield from _flatten(v)
        else:
            yield v


def _directive_steps(d: Step) -> tuple[Step, ...]:
    """The entries of a directive block (`options { ... }`), or its arguments in the `options([...])` form."""
    if d.body is not None:
        return tuple(s for s in d.body if s.name != "unparsed")
    return tuple(v for v in _flatten(d.args) if isinstance(v, Step))


def _tools(d: Step) -> list[Tool]:
    return [Tool(s.name, _first(s, "name"), s.span) for s in d.body or () if s.name != "unparsed"]


def _kw_options(s: Step, skip: tuple[str, ...]) -> tuple[tuple[str, Value], ...]:
    return tuple((k, v) for k, v in s.kwargs if k not in skip)


def _input(d: Step) -> Step:
    if d.body is None:
        return d
    kw: list[tuple[str, Value]] = list(d.kwargs)
    for x in d.body:
        if x.name == "parameters":
            kw.append(("parameters", tuple(x.body or ())))
        elif x.name != "unparsed":
            kw.append((x.name, _first(x)))
    return Step("input", d.span, d.args, tuple(kw))


def _axis(a: Step) -> Axis:
    name = ""
    values: tuple[str, ...] = ()
    negated = False
    for x in a.body or ():
        if x.name == "name":
            name = _str(_first(x))
        elif x.name in ("values", "notValues"):
            values = tuple(_str(v) for v in _flatten(x.args))
            negated = x.name == "notValues"
    return Axis(name, values, a.span, negated)


def _when(x: Step) -> When:
    if x.name in ("allOf", "anyOf", "not"):
        return When(x.name, x.span, children=tuple(_when(c) for c in x.body or () if c.name != "unparsed"))
    args = x.args
    if x.body is not None:
        args = args + (Closure(x.body, (), x.span),)
    return When(x.name, x.span, args, x.kwargs)


# re-exported for tests and tools
__all__ += ["steps"]
