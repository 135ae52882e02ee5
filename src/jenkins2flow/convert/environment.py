"""The declarative `environment {}` directive: each value a Groovy value (static, or computed in the run: the task
receives it as an expression tree; the steps it calls, such as `sh(returnStdout: true)`, run first) bound in the
scope's evaluator; `credentials('id')` the secret references Jenkins binds for the credential's kind (below). A
secret written in clear (convert.secrets) becomes a reference to an Airflow variable to create, never a value. A
value the converter cannot compute is a placeholder, never pasted."""

from __future__ import annotations

import re
from dataclasses import replace

from jenkins2flow_runtime import groovy, model

from jenkins2flow.convert.context import Ctx, Scope
from jenkins2flow.convert.evaluate import Runtime, Static, Unknown
from jenkins2flow.convert.handlers.credentials import binding_refs
from jenkins2flow.convert.scripted import run_calls
from jenkins2flow.convert.secrets import classify
from jenkins2flow.convert.values import text
from jenkins2flow.ir import EnvVar


def env_scope(env: tuple[EnvVar, ...], ctx: Ctx, scope: Scope) -> Scope:
    for var in env:
        if var.credential:
            scope = scope.with_secrets(credential_refs(var, ctx))
            continue
        ran = run_calls(var.value, ctx, replace(scope, stage=scope.stage or "environment"))  # its sh steps
        scope = replace(ran, stage=scope.stage)
        value = scope.ev.value(var.value, var.span)
        written = groovy.to_str(value.value) if isinstance(value, Static) else text(var.value)
        kind = classify(var.name, written, literal_value=isinstance(var.value, str))
        if kind:  # written in clear: an Airflow variable to create, never the value
            scope = scope.with_secrets([ctx.literal_secret(var.name, written, kind, var.span, "environment")])
            ctx.mapped(f"environment {var.name}", var.span, "environment", "secret by reference")
            continue
        scope = scope.bind_env(var.name, value, var.span)
        if isinstance(value, Unknown):
            ctx.placeholder(f"environment {var.name}", var.span, f"the value is not converted: {value}", scope,
                            key="environment", fallback=False)
            continue
        ctx.mapped(f"environment {var.name}", var.span, "environment",
                   "a value of the run, computed when the task starts" if isinstance(value, Runtime) else "")
    return scope



# `NAME = credentials('id')` as pipeline-model-definition binds it (CredentialsBindingHandler and its handlers
# String-, UsernamePassword-, FileCredentials- and SSHUserPrivateKeyHandler): the credential's kind -> the bindings
# of withCredentials it stands for, each (binding, {its variable: NAME + suffix}).
ENV_BINDINGS: dict[str, list[tuple[str, dict[str, str]]]] = {
    "string": [("string", {"variable": ""})],
    "usernamePassword": [("usernameColonPassword", {"variable": ""}),
                         ("usernamePassword", {"usernameVariable": "_USR", "passwordVariable": "_PSW"})],
    "file": [("file", {"variable": ""})],  # NAME: the path of a temporary file holding it
    "sshUserPrivateKey": [("sshUserPrivateKey", {"keyFileVariable": "", "usernameVariable": "_USR",
                                                 "passphraseVariable": "_PSW"})],  # NAME: the key file's path
}
# kinds Jenkins has no handler of its own for in pipeline-model-definition
NO_HANDLER = {
    "certificate": "Jenkins has no binding for a certificate in environment {} (the build stops: \"No suitable "
                   "binding handler\")",
    "aws": "the aws-credentials plugin binds it (its handler's variables depend on the plugin's version)",
}
# where a variable is read as a file's path: after a command or option that takes a file, or named as one
_PATH_USE = (r"(?:\b(?:cat|cp|mv|source|chmod|base64|head|tail|gpg|openssl|ssh-add|scp|curl\s[^\n;|&]*--cacert|"
             r"readFile|readJSON|readYaml)\b[^\n;|&]*?|(?<![\w-])-(?:i|F|k)\s*|--key[=\s]\s*|--[\w-]*(?:file|config|"
             r"cert|identity|path)[\w-]*[=\s]\s*|<\s*|file:\s*|\b(?:KUBECONFIG|GOOGLE_APPLICATION_CREDENTIALS|"
             r"[A-Z_]*_(?:FILE|PATH))=)[\"'(]*")
_PATH_NAME = re.compile(r"(?:KUBECONFIG|GOOGLE_APPLICATION_CREDENTIALS|.*(?:_FILE|_PATH|KEYFILE|_KEYSTORE))$")


def used_as_path(name: str, script: str) -> bool:
    """Whether the job reads variable `name` as a file's path (`cat $F`, `ssh -i $F`, `--key-file=$F`,
    `readFile(F)`), or its name says it holds one (`KUBECONFIG`, `*_FILE`)."""
    if _PATH_NAME.match(name):
        return True
    pattern = re.compile(_PATH_USE + rf"(?:\$\{{?|\benv\.|\$env:|%)?{re.escape(name)}\b")
    return any(pattern.search(script, start, end) for start, end in _windows(script, name))


def _windows(text: str, word: str) -> list[tuple[int, int]]:
    """The stretches of whole lines (`_lines_before`) around each place `word` is in `text`, overlapping ones
    merged: a use of the name as a path lies in one of them, and no text is searched twice."""
    merged: list[tuple[int, int]] = []
    at = text.find(word)
    while at >= 0:
        start, end = _lines_before(text, at, len(word))
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
        at = text.find(word, at + 1)
    return merged


_LEAD = frozenset(" \t\n\r\f\v\"'(${%env.:")  # what may stand between a path option and the name: spaces, quotes and
# the reference's `${`, `env.`, `$env:`, `%`


def _lines_before(text: str, at: int, size: int) -> tuple[int, int]:
    """The lines where a `_PATH_USE` match ending with the name at `at` can lie: from the line before the one holding
    the last character before the name that is not in `_LEAD` (a use's option is on that line; `curl\\s` may put
    curl on the line before), to the end of the name's line. Whole lines, so that \\b and look-behinds at their ends
    read what they read in the whole text: a search of these lines finds what a search of the whole text finds."""
    last = at - 1
    while last >= 0 and text[last] in _LEAD:
        last -= 1
    line = text.rfind("\n", 0, max(last, 0)) if last >= 0 else -1
    start = text.rfind("\n", 0, line) + 1 if line > 0 else 0
    end = text.find("\n", at + size)
    return start, len(text) if end < 0 else end


def credential_refs(var: EnvVar, ctx: Ctx) -> list[model.SecretRef]:
    """The secret references of `NAME = credentials('id')`, by the credential's kind as the estate's credential
    stores say (convert.links); an id no store read holds is bound as today's guess (secret text, or username/password
    when the job reads NAME_USR or NAME_PSW), said in the report, and flagged where NAME is read as a path."""
    name, cred, span = var.name, var.credential, var.span
    kind = ctx.links.credentials.kind(ctx.job.full_name, cred) if ctx.links is not None else ""
    known = kind
    if not kind or kind in NO_HANDLER or kind not in ENV_BINDINGS:
        script = ctx.job.script
        kind = "usernamePassword" if f"{name}_USR" in script or f"{name}_PSW" in script else "string"
    refs: list[model.SecretRef] = []
    for binding, variables in ENV_BINDINGS[kind]:
        kw = {"credentialsId": cred, **{k: name + suffix for k, suffix in variables.items()}}
        refs += binding_refs(binding, kw, span, ctx, f"environment ({binding})", known or "unknown")
    element = f"environment {name}"
    if not known:
        what = "a username/password" if kind == "usernamePassword" else "a secret text"
        if used_as_path(name, ctx.job.script):
            ctx.approximated(element, span, f"credential {cred!r} is in no credential store read: converted as "
                             f"{what}, but the job reads {name!r} as a file's path, which Jenkins sets for a secret "
                             "file or an SSH key; convert the JENKINS_HOME that holds the credential, or bind it with "
                             "withCredentials([file(...)]) in the Jenkinsfile", "credentials")
            return refs
        ctx.note(f"environment {name}: credential {cred!r} is in no credential store read, so its kind is not known: "
                 f"converted as {what}; for a secret file or an SSH key Jenkins sets {name!r} to a file's path "
                 "(convert the JENKINS_HOME that holds the credential to bind it by its kind).", span, "info")
    elif known in NO_HANDLER or known not in ENV_BINDINGS:
        why = NO_HANDLER.get(known, f"Jenkins binds a {known} credential only through its plugin's own handler")
        ctx.approximated(element, span, f"credential {cred!r} is of kind {known!r}: {why}; the task gets it as "
                         "secret text", "credentials")
        return refs
    ctx.mapped(element, span, "credentials", f"{known or 'secret'} {cred!r} by reference"
               + (" (a file's path)" if known in ("file", "sshUserPrivateKey") else ""))
    return refs
