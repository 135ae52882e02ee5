"""Job parameters -> one parameter template (named by content, so identical parameter sets share it).

A default that is a secret written in clear (convert.secrets), or the default of a password parameter (config.xml
keeps it encrypted, a Jenkinsfile in clear), is not copied: the parameter has no default, and every task gets a
reference to an Airflow variable (`SecretRef.param_default`) that fills it when a run gives it no value, as Jenkins
fills it from the default."""

from __future__ import annotations

import hashlib
import json
import re

from jenkins2flow_runtime import model

from jenkins2flow.convert.context import Ctx, slug
from jenkins2flow.convert.secrets import classify, mask
from jenkins2flow.convert.values import text
from jenkins2flow.ir import GString, Job, Param

# Jenkins parameter type -> template parameter type; any other type is kept as a string, with a diagnostic
PARAM_TYPES = {"string": "string", "text": "text", "boolean": "boolean", "choice": "choice", "password": "password"}
TEXT = ("string", "text")  # the types whose default may be a secret written in clear (convert.secrets)


def airflow_name(jenkins_name: str) -> str:
    """The name of a Jenkins parameter in the pipeline: as it is, or with `p_` before a leading digit or sign."""
    ok = jenkins_name and jenkins_name[0].isalpha() or jenkins_name.startswith("_")
    return jenkins_name if ok else f"p_{jenkins_name}"


def forwarded(job: Job) -> dict[str, str]:
    """Every Jenkins parameter of `job` -> the pipeline parameter that holds its value in a run (whole-job fallback)."""
    return {p.name: airflow_name(p.name) for p in job.parameters}


def templates(job: Job, ctx: Ctx) -> list[model.Ref]:
    if not job.parameters:
        return []
    specs = [_param(p, ctx) for p in job.parameters]
    data = {"parameters": [s.model_dump() for s in specs]}
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode("utf-8")).hexdigest()[:8]
    name = f"params.{slug(' '.join(p.name for p in job.parameters), words=3)}-{digest}"
    return [ctx.add_doc("parameter_template", name, data)]


ENCRYPTED = re.compile(r"\{[A-Za-z0-9+/=]{8,}\}")  # a hudson.util.Secret as config.xml stores it


def _has_default(p: Param) -> bool:
    """A password parameter with a default: given in clear (a Jenkinsfile) or encrypted (config.xml: `hasDefault`)."""
    return bool(p.default) or dict(p.extra).get("hasDefault") is True


def _param(p: Param, ctx: Ctx) -> model.ParamSpec:
    kind = PARAM_TYPES.get(p.type)
    if kind is None:
        ctx.note(f"Parameter {p.name!r} of type {p.type!r} is kept as a string.", p.span)
        kind = "string"
    else:
        ctx.mapped(f"parameter {p.name}", p.span, p.plugin or p.type)
    default = p.default.text if isinstance(p.default, GString) else p.default
    secret = classify(p.name, default, literal_value=not isinstance(p.default, GString)) if kind in TEXT else ""
    held = "holds a secret in clear"
    if kind == "password" and _has_default(p):  # a run given no value (a timer) gets it in Jenkins
        secret = "a password parameter: Jenkins uses it in runs given no value, such as timer runs"
        if not isinstance(default, str) or not default or ENCRYPTED.fullmatch(default.strip()):  # config.xml keeps
            # it encrypted ({AQAAAB...}, or only hasDefault): no value to read
            default, held = f"<the encrypted default of {p.name}>", "holds a secret encrypted by Jenkins"
    if secret and isinstance(default, str):  # written in clear: the default comes from an Airflow variable
        ref = ctx.literal_secret(airflow_name(p.name), default, secret, p.span, "parameter default", param_default=True,
                                 held=held)
        ctx.param_secrets.append(ref)
        default = None
    if kind == "password":
        default = None  # never copy a secret's value
    if kind == "boolean":
        default = default.strip().lower() == "true" if isinstance(default, str) else bool(default)
    elif default is not None and not isinstance(default, str):
        default = text(default)
    choices = [text(c) for c in p.choices] if kind == "choice" else []
    if kind == "choice" and (default is None or default not in choices) and choices:
        default = choices[0]
    return model.ParamSpec(name=airflow_name(p.name), type=kind, default=default,  # type: ignore[arg-type]
                           choices=choices, description=mask(text(p.description)))
