"""Build parameters: `ParametersDefinitionProperty/parameterDefinitions/*` -> `Param`.

The table maps each parameter class to its IR type and the fields worth naming; the rest of the element's leaf
values go to `extra`, and the whole element stays in `raw`. Password defaults are never copied out of `raw`.
"""

from __future__ import annotations

from jenkins2flow.ir.nodes import Param, Value
from jenkins2flow.parse.xml.common import (
    Ctx,
    Element,
    F,
    Table,
    apply_table,
    child,
    csv,
    flag,
    generic_fields,
    own_text,
    strings,
)

# class -> (IR type, how the default is read, extra fields)
_DEFAULT_TEXT = F("default", "defaultValue")
_DEFAULT_FLAG = F("default", "defaultValue", conv=flag)

PARAM_TYPES: dict[str, tuple[str, F | None, Table]] = {
    "hudson.model.StringParameterDefinition": ("string", _DEFAULT_TEXT, (F("trim", conv=flag),)),
    "hudson.model.BooleanParameterDefinition": ("boolean", _DEFAULT_FLAG, ()),
    "hudson.model.ChoiceParameterDefinition": ("choice", None, ()),
    "hudson.model.TextParameterDefinition": ("text", _DEFAULT_TEXT, (F("trim", conv=flag),)),
    "hudson.model.PasswordParameterDefinition": ("password", None, ()),
    "hudson.model.FileParameterDefinition": ("file", None, ()),
    "hudson.model.RunParameterDefinition": ("run", None, (F("projectName"), F("filter"))),
    "org.jvnet.jenkins.plugins.nodelabelparameter.LabelParameterDefinition": (
        "label", _DEFAULT_TEXT, (F("allNodesMatchingLabel", conv=flag), F("triggerIfResult"),
                                 F("nodeEligibility", conv=lambda e, c: e.get("class") or e.tag)),
    ),
    "org.jvnet.jenkins.plugins.nodelabelparameter.NodeParameterDefinition": (
        "node", F("default", "defaultSlaves", conv=strings),
        (F("allowedSlaves", conv=strings), F("triggerIfResult"), F("allowMultiNodeSelection", conv=flag)),
    ),
    "com.cloudbees.plugins.credentials.CredentialsParameterDefinition": (
        "credentials", _DEFAULT_TEXT, (F("credentialType"), F("required", conv=flag)),
    ),
    "net.uaznia.lukanus.hudson.plugins.gitparameter.GitParameterDefinition": (
        "git", _DEFAULT_TEXT,
        (F("type"), F("branch"), F("branchFilter"), F("tagFilter"), F("sortMode"), F("selectedValue"),
         F("useRepository"), F("quickFilterEnabled", conv=flag)),
    ),
    "com.cwctravel.hudson.plugins.extended__choice__parameter.ExtendedChoiceParameterDefinition": (
        "extended-choice", _DEFAULT_TEXT,
        (F("type"), F("multiSelectDelimiter"), F("propertyFile"), F("propertyKey"), F("quoteValue", conv=flag),
         F("visibleItemCount"), F("groovyScript"), F("bindings")),
    ),
    "org.biouno.unochoice.ChoiceParameter": ("active-choice", None, ()),
    "org.biouno.unochoice.CascadeChoiceParameter": ("active-choice", None, ()),
    "org.biouno.unochoice.DynamicReferenceParameter": ("active-choice", None, ()),
}


def _choices(el: Element, ctx: Ctx, first: dict[str, Element] | None = None) -> tuple[str, ...]:
    """Choice lists come as `<choices class="java.util.Arrays$ArrayList"><a class="string-array"><string>`, as a
    plain `<choices><string>` list, or (very old files) as newline-separated text. `first` is
    `first_children(el)` when the caller has it."""
    node = child(el, "choices") if first is None else first.get("choices")
    if node is None:
        return ()
    kids = [k for k in node[:] if k.tag.__class__ is str]
    if len(kids) == 1 and kids[0].tag == "a":
        kids = [k for k in kids[0][:] if k.tag.__class__ is str]
    if kids:
        return tuple(own_text(k, ctx) for k in kids)
    return tuple(line for line in (node.text or "").splitlines() if line.strip())


def _active_choice(el: Element, ctx: Ctx) -> dict[str, Value]:
    out: dict[str, Value] = {}
    for key in ("choiceType", "referencedParameters", "filterable", "filterLength", "omitValueField"):
        if child(el, key) is not None:
            out[key] = own_text(child(el, key), ctx)
    script = child(el, "script")
    if script is not None:
        out["scriptClass"] = script.get("class") or ""
        body = script.find("secureScript/script")
        if body is None:
            body = child(script, "script")
        out["script"] = own_text(body, ctx) if body is not None else ""
        fallback = script.find("secureFallbackScript/script")
        if fallback is None:
            fallback = child(script, "fallbackScript")
        if fallback is not None:
            out["fallbackScript"] = own_text(fallback, ctx)
    return out


def _text_of(kids: dict[str, Element], texts: dict[str, str], tag: str, ctx: Ctx) -> str:
    """`child_text(el, tag)` from what `generic_fields(el, kids, texts)` collected."""
    if tag in texts:
        return texts[tag]
    found = kids.get(tag)
    return "" if found is None else own_text(found, ctx)


def parse_param(el: Element, ctx: Ctx, index: tuple[int, ...] | None = None) -> Param:
    """One parameter definition; `index` is `ctx.path_of(el)` when the caller has it. One walk over the
    children (`generic_fields`) serves the name, description, table and default."""
    cls = el.tag
    kids: dict[str, Element] = {}
    texts: dict[str, str] = {}
    fields = generic_fields(el, kids, texts)
    name = _text_of(kids, texts, "name", ctx).strip()
    description = _text_of(kids, texts, "description", ctx)
    kind, default_spec, table = PARAM_TYPES.get(cls, (cls, _DEFAULT_TEXT, ()))
    for key in ("name", "description", "defaultValue", "choices", "uuid", "randomName"):
        fields.pop(key, None)
    if table:
        apply_table(el, table, ctx, kids, texts, fields)
    default: Value = None
    if default_spec is _DEFAULT_TEXT and "defaultValue" in texts:  # what the table gives for a leaf, directly
        default = texts["defaultValue"]
    elif default_spec is not None:
        default = apply_table(el, (default_spec,), ctx, kids, texts).get("default")
    choices: tuple[str, ...] = ()
    if kind == "choice":
        choices = _choices(el, ctx, kids)
        default = choices[0] if choices else None
    elif kind == "extended-choice":
        value = kids.get("value")
        choices = csv(value, ctx) if value is not None else ()  # type: ignore[assignment]
    elif kind == "active-choice":
        fields.update(_active_choice(el, ctx))
    elif kind == "password":
        fields["hasDefault"] = bool(_text_of(kids, texts, "defaultValue", ctx).strip())
    if not name:
        ctx.report("warning", f"Parameter {cls!r} has no name; it cannot be passed to a run.", el)
    span = ctx.span(el)
    return Param(name, kind, span, default, description, choices, cls, tuple(fields.items()),
                 ctx.raw(el, span, index))


def parse_parameters_property(el: Element, ctx: Ctx) -> tuple[Param, ...]:
    """`hudson.model.ParametersDefinitionProperty` -> its parameters, in order."""
    defs = child(el, "parameterDefinitions")
    if defs is None:
        return ()
    base = ctx.path_of(defs) if ctx.doc is not None else ()
    return tuple([parse_param(p, ctx, (*base, i)) for i, p in enumerate(defs[:]) if p.tag.__class__ is str])
