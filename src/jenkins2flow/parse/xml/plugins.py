"""Builders, publishers, build wrappers and properties as `Plugin(cls, plugin, fields, raw)`.

Every element becomes a Plugin, known or not: `fields` holds the generic leaf values, overlaid by the table of
its class (typed values, renamed or nested paths) and by an irregular handler where a table cannot say it
(nested builders, trigger configs, credential bindings...). `raw` always keeps the whole element.
"""

from __future__ import annotations

from collections.abc import Callable

from jenkins2flow.ir.nodes import Plugin, Value
from jenkins2flow.parse.xml.common import (
    Ctx,
    Element,
    F,
    Table,
    apply_table,
    child,
    child_text,
    class_name,
    csv,
    elements,
    flag,
    generic_fields,
    integer,
    record,
    records,
    strings,
    text,
    threshold,
    words,
)
from jenkins2flow.parse.xml.raw import _lazy

# ---- declarative tables, keyed by the exact element tag ---------------------------------------------------------

_TRIGGER_CONFIG: Table = (
    F("projects", conv=csv),
    F("condition", conv=text),
    F("triggerWithNoParameters", conv=flag),
    F("buildAllNodesWithLabel", conv=flag),
)

TABLES: dict[str, Table] = {
    # builders
    "hudson.tasks.Shell": (F("command"), F("unstableReturn", conv=integer)),
    "hudson.tasks.BatchFile": (F("command"), F("unstableReturn", conv=integer)),
    "hudson.plugins.powershell.PowerShell": (
        F("command"), F("stopOnError", conv=flag), F("useProfile", conv=flag), F("unstableReturn", conv=integer),
    ),
    "hudson.tasks.Maven": (
        F("targets"), F("mavenName"), F("pom"), F("properties"), F("jvmOptions"),
        F("usePrivateRepository", conv=flag), F("settings", conv=class_name), F("globalSettings", conv=class_name),
    ),
    "hudson.tasks.Ant": (F("targets"), F("antName"), F("buildFile"), F("properties"), F("antOpts")),
    "hudson.plugins.gradle.Gradle": (
        F("tasks"), F("switches"), F("rootBuildScriptDir"), F("buildFile"), F("gradleName"),
        F("useWrapper", conv=flag), F("makeExecutable", conv=flag), F("wrapperLocation"),
    ),
    "hudson.plugins.groovy.Groovy": (
        F("scriptSource", conv=class_name), F("command", "scriptSource/command"),
        F("scriptFile", "scriptSource/scriptFile"), F("groovyName"), F("parameters"), F("scriptParameters"),
        F("properties"), F("javaOpts"), F("classPath"),
    ),
    "hudson.plugins.groovy.SystemGroovy": (
        F("script", "source/script/script"), F("sandbox", "source/script/sandbox", conv=flag),
        F("scriptFile", "source/scriptFile"), F("command", "scriptSource/command"), F("bindings"),
    ),
    "hudson.plugins.copyartifact.CopyArtifact": (
        F("project"), F("projectName"), F("filter"), F("target"), F("excludes"), F("flatten", conv=flag),
        F("optional", conv=flag), F("selector", conv=record), F("parameters"), F("fingerprintArtifacts", conv=flag),
    ),
    "EnvInjectBuilder": (
        F("propertiesContent", "info/propertiesContent"), F("propertiesFilePath", "info/propertiesFilePath"),
    ),
    "javaposse.jobdsl.plugin.ExecuteDslScripts": (
        F("targets"), F("scriptText"), F("usingScriptText", conv=flag), F("removedJobAction"),
        F("ignoreExisting", conv=flag),
    ),
    "hudson.plugins.parameterizedtrigger.TriggerBuilder": (),  # irregular: see _trigger_configs
    "org.jenkinsci.plugins.conditionalbuildstep.ConditionalBuilder": (F("runner", conv=class_name),),
    "org.jenkinsci.plugins.conditionalbuildstep.singlestep.SingleConditionalBuilder": (
        F("runner", conv=class_name),
    ),
    "jenkins.plugins.http__request.HttpRequest": (
        F("url"), F("httpMode"), F("validResponseCodes"), F("requestBody"), F("authentication"),
        F("outputFile"), F("timeout", conv=integer), F("customHeaders", conv=records),
    ),
    # publishers
    "hudson.tasks.ArtifactArchiver": (
        F("artifacts"), F("excludes"), F("allowEmptyArchive", conv=flag), F("onlyIfSuccessful", conv=flag),
        F("fingerprint", conv=flag), F("defaultExcludes", conv=flag), F("caseSensitive", conv=flag),
        F("followSymlinks", conv=flag), F("latestOnly", conv=flag),
    ),
    "hudson.tasks.junit.JUnitResultArchiver": (
        F("testResults"), F("keepLongStdio", conv=flag), F("healthScaleFactor"),
        F("allowEmptyResults", conv=flag), F("skipPublishingChecks", conv=flag),
        F("testDataPublishers", conv=records),
    ),
    "hudson.tasks.Mailer": (
        F("recipients", conv=words), F("dontNotifyEveryUnstableBuild", conv=flag),
        F("sendToIndividuals", conv=flag),
    ),
    "hudson.plugins.emailext.ExtendedEmailPublisher": (
        F("recipientList", conv=words), F("defaultSubject"), F("defaultContent"), F("contentType"),
        F("attachmentsPattern"), F("presendScript"), F("postsendScript"), F("attachBuildLog", conv=flag),
        F("compressBuildLog", conv=flag), F("replyTo"), F("saveOutput", conv=flag), F("disabled", conv=flag),
    ),
    "hudson.tasks.BuildTrigger": (F("childProjects", conv=csv), F("threshold", conv=threshold)),
    "hudson.plugins.parameterizedtrigger.BuildTrigger": (),  # irregular: see _trigger_configs
    "hudson.tasks.Fingerprinter": (F("targets"), F("defaultExcludes", conv=flag), F("caseSensitive", conv=flag)),
    "hudson.plugins.ws__cleanup.WsCleanup": (
        F("patterns", conv=records), F("deleteDirs", conv=flag), F("cleanWhenSuccess", conv=flag),
        F("cleanWhenFailure", conv=flag), F("notFailBuild", conv=flag), F("externalDelete"),
    ),
    "htmlpublisher.HtmlPublisher": (F("reportTargets", conv=records),),
    "hudson.plugins.postbuildtask.PostbuildTask": (F("tasks", conv=records),),
    "hudson.plugins.textfinder.TextFinderPublisher": (
        F("fileSet"), F("regexp"), F("succeedIfFound", conv=flag), F("unstableIfFound", conv=flag),
        F("alsoCheckConsoleOutput", conv=flag),
    ),
    "org.jvnet.hudson.plugins.groovypostbuild.GroovyPostbuildRecorder": (
        F("script", "script/script"), F("sandbox", "script/sandbox", conv=flag), F("behavior", conv=integer),
    ),
    "com.chikli.hudson.plugin.naginator.NaginatorPublisher": (
        F("regexpForRerun"), F("rerunIfUnstable", conv=flag), F("rerunMatrixPart", conv=flag),
        F("checkRegexp", conv=flag), F("maxSchedule", conv=integer), F("delay", conv=record),
    ),
    # wrappers
    "hudson.plugins.build__timeout.BuildTimeoutWrapper": (
        F("strategy", conv=record), F("operationList", conv=records), F("timeoutEnvVar"),
        F("timeoutMinutes", conv=integer), F("failBuild", conv=flag), F("writingDescription", conv=flag),
    ),
    "org.jenkinsci.plugins.credentialsbinding.impl.SecretBuildWrapper": (F("bindings", conv=records),),
    "EnvInjectBuildWrapper": (
        F("propertiesContent", "info/propertiesContent"), F("propertiesFilePath", "info/propertiesFilePath"),
        F("scriptContent", "info/scriptContent"), F("scriptFilePath", "info/scriptFilePath"),
        F("loadFilesFromMaster", "info/loadFilesFromMaster", conv=flag),
    ),
    "hudson.plugins.ws__cleanup.PreBuildCleanup": (
        F("patterns", conv=records), F("deleteDirs", conv=flag), F("cleanupParameter"), F("externalDelete"),
    ),
    "com.cloudbees.jenkins.plugins.sshagent.SSHAgentBuildWrapper": (
        F("credentialIds", conv=strings), F("user"), F("ignoreMissing", conv=flag),
    ),
    "com.michelin.cio.hudson.plugins.maskpasswords.MaskPasswordsBuildWrapper": (F("varPasswordPairs", conv=records),),
    "org.jenkinsci.plugins.configfiles.buildwrapper.ConfigFileBuildWrapper": (F("managedFiles", conv=records),),
    "org.jenkinsci.plugins.configfiles.builder.ConfigFileBuildStep": (F("managedFiles", conv=records),),
    # properties
    "hudson.model.ParametersDefinitionProperty": (),  # read by parameters.py
    "jenkins.model.BuildDiscarderProperty": (
        F("strategy", conv=class_name), F("daysToKeep", "strategy/daysToKeep", conv=integer),
        F("numToKeep", "strategy/numToKeep", conv=integer),
        F("artifactDaysToKeep", "strategy/artifactDaysToKeep", conv=integer),
        F("artifactNumToKeep", "strategy/artifactNumToKeep", conv=integer),
    ),
    "hudson.plugins.throttleconcurrents.ThrottleJobProperty": (
        F("maxConcurrentPerNode", conv=integer), F("maxConcurrentTotal", conv=integer),
        F("categories", conv=strings), F("throttleEnabled", conv=flag), F("throttleOption"),
    ),
    "hudson.security.AuthorizationMatrixProperty": (),  # irregular: repeated <permission>
    "org.jenkins.plugins.lockableresources.RequiredResourcesProperty": (
        F("resourceNames"), F("resourceNamesVar"), F("resourceNumber"), F("labelName"),
    ),
    "EnvInjectJobProperty": (
        F("propertiesContent", "info/propertiesContent"), F("propertiesFilePath", "info/propertiesFilePath"),
        F("on", conv=flag), F("keepJenkinsSystemVariables", conv=flag), F("keepBuildVariables", conv=flag),
    ),
}


# ---- irregular handlers: (element, ctx) -> extra fields -------------------------------------------------------

Handler = Callable[[Element, Ctx], dict[str, Value]]
HANDLERS: dict[str, Handler] = {}


def handler(*classes: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for cls in classes:
            HANDLERS[cls] = fn
        return fn

    return register


def _trigger_config(el: Element, ctx: Ctx) -> dict[str, Value]:
    out = apply_table(el, _TRIGGER_CONFIG, ctx)
    params = child(el, "configs")
    out["parameters"] = tuple(record(c, ctx) for c in elements(params)) if params is not None else ()
    block = child(el, "block")
    if block is not None:
        out["block"] = {c.tag: (child_text(c, "name") or "").strip() for c in elements(block)}
    return out


@handler("hudson.plugins.parameterizedtrigger.TriggerBuilder", "hudson.plugins.parameterizedtrigger.BuildTrigger")
def _trigger_configs(el: Element, ctx: Ctx) -> dict[str, Value]:
    configs = child(el, "configs")
    if configs is None:
        return {"configs": ()}
    return {"configs": tuple(_trigger_config(c, ctx) for c in elements(configs))}


def run_condition(el: Element, ctx: Ctx) -> dict[str, Value]:
    """A run_condition (conditional-buildstep, flexible-publish): class, fields, nested conditions."""
    out = record(el, ctx)
    assert isinstance(out, dict)
    nested = child(el, "conditions")
    if nested is not None:
        out["conditions"] = tuple(
            run_condition(child(c, "condition"), ctx) if child(c, "condition") is not None else run_condition(c, ctx)
            for c in elements(nested)
        )
    for tag in ("condition", "runCondition"):
        inner = child(el, tag)
        if inner is not None:
            out[tag] = run_condition(inner, ctx)
    return out


@handler("org.jenkinsci.plugins.conditionalbuildstep.singlestep.SingleConditionalBuilder")
def _single_conditional(el: Element, ctx: Ctx) -> dict[str, Value]:
    out: dict[str, Value] = {}
    cond = child(el, "condition")
    if cond is not None:
        out["condition"] = run_condition(cond, ctx)
    step = child(el, "buildStep")
    out["builders"] = (parse_plugin(step, ctx),) if step is not None else ()
    return out


@handler("org.jenkinsci.plugins.conditionalbuildstep.ConditionalBuilder")
def _conditional(el: Element, ctx: Ctx) -> dict[str, Value]:
    out: dict[str, Value] = {}
    cond = child(el, "runCondition")
    if cond is not None:
        out["condition"] = run_condition(cond, ctx)
    steps = child(el, "conditionalbuilders")
    out["builders"] = parse_plugins(steps, ctx) if steps is not None else ()
    return out


@handler("org.jenkins__ci.plugins.flexible__publish.FlexiblePublisher")
def _flexible(el: Element, ctx: Ctx) -> dict[str, Value]:
    out = []
    pubs = child(el, "publishers")
    for cp in elements(pubs) if pubs is not None else ():
        entry: dict[str, Value] = {"class": cp.tag}
        cond = child(cp, "condition")
        if cond is not None:
            entry["condition"] = run_condition(cond, ctx)
        lst = child(cp, "publisherList")
        single = child(cp, "publisher")
        entry["publishers"] = parse_plugins(lst, ctx) if lst is not None else (
            (parse_plugin(single, ctx),) if single is not None else ()
        )
        out.append(entry)
    return {"publishers": tuple(out)}


@handler(
    "org.jenkinsci.plugins.postbuildscript.PostBuildScript",
    "org.jenkinsci.plugins.postbuildscript.MatrixPostBuildScript",
)
def _postbuildscript(el: Element, ctx: Ctx) -> dict[str, Value]:
    out: dict[str, Value] = {}
    for tag in ("buildSteps", "buildStep"):
        steps = child(el, tag)
        if steps is not None:
            out["builders"] = parse_plugins(steps, ctx)
    cfg = child(el, "config")
    if cfg is not None:
        out["scripts"] = tuple(record(s, ctx) for block in elements(cfg) for s in elements(block))
    return out


@handler("hudson.plugins.emailext.ExtendedEmailPublisher")
def _emailext(el: Element, ctx: Ctx) -> dict[str, Value]:
    triggers = child(el, "configuredTriggers")
    out = []
    for trig in triggers[:] if triggers is not None else ():
        tag = trig.tag
        if tag.__class__ is not str:
            continue
        entry: dict[str, Value] = {"class": tag}
        email = child(trig, "email")
        if email is not None:
            kids: dict[str, Element] = {}
            fields = generic_fields(email, kids, None)
            for key, value in fields.items():  # the email's `record` without its class
                if key != "class":
                    entry[key] = value
            providers = kids.get("recipientProviders")
            if providers is not None:
                entry["recipientProviders"] = tuple([c.tag for c in providers[:] if c.tag.__class__ is str])
        out.append(entry)
    return {"triggers": tuple(out)}


@handler("hudson.security.AuthorizationMatrixProperty")
def _matrix_auth(el: Element, ctx: Ctx) -> dict[str, Value]:
    perms = [(c.text or "").strip() for c in el.iter("permission")]
    perms += [(c.text or "").strip() for entry in el.iter("entry") for c in entry if c.tag == "permission"]
    return {"permissions": tuple(dict.fromkeys(p for p in perms if p))}


# ---- entry points -----------------------------------------------------------------------------------------------


def parse_plugin(el: Element, ctx: Ctx, tag: str = "", index: tuple[int, ...] | None = None) -> Plugin:
    """One element as a Plugin. Nested steps (`<buildStep class="hudson.tasks.Shell">`) name their class in the
    `class` attribute; top-level ones in the tag. `tag` is `el.tag` and `index` is `ctx.path_of(el)` when the
    caller has them."""
    if not tag:
        tag = el.tag
    cls = tag
    if cls in _CLASS_ATTR_TAGS:
        cls = el.get("class") or cls
    table = TABLES.get(cls)
    if table:
        kids: dict[str, Element] = {}
        texts: dict[str, str] = {}
        fields = generic_fields(el, kids, texts)
        apply_table(el, table, ctx, kids, texts, fields)
    else:
        fields = generic_fields(el)
    fn = HANDLERS.get(cls)
    if fn is not None:
        try:
            fields.update(fn(el, ctx))
        except Exception as exc:  # a handler bug must not lose the element: keep it raw and say so
            ctx.report("warning", f"Could not read the fields of {cls!r} ({exc}); kept it raw.", el)
    line = el.sourceline or 1
    span = ctx._spans.get(line) or ctx.span(el)
    raw = ctx.raw(el, span) if index is None or ctx.doc is None else _lazy(tag, span, (ctx.doc, index))
    return Plugin(cls, span, el.get("plugin", ""), tuple(fields.items()), raw)


_CLASS_ATTR_TAGS = frozenset({"buildStep", "publisher", "hudson.tasks.BuildStep", "builder"})


def parse_plugins(container: Element, ctx: Ctx, base: tuple[int, ...] | None = None) -> tuple[Plugin, ...]:
    """Every element child of a builders / publishers / buildWrappers / properties container; `base` is
    `ctx.path_of(container)` when the caller has it."""
    if base is None:
        base = ctx.path_of(container) if ctx.doc is not None else ()
    out = []
    for i, c in enumerate(container[:]):
        tag = c.tag
        if tag.__class__ is str:
            out.append(parse_plugin(c, ctx, tag, (*base, i)))
    return tuple(out)
