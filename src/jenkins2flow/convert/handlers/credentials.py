"""Credentials: `withCredentials`, `sshagent` and the credentials-binding / ssh-agent build wrappers become secret
references (Airflow connections or variables, never values) on the tasks they enclose."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from jenkins2flow_runtime import model

from jenkins2flow.convert.context import Ctx, Handler, Scope
from jenkins2flow.convert.evaluate import Static, Unknown
from jenkins2flow.convert.handlers.nodes import body
from jenkins2flow.convert.rules import Rule
from jenkins2flow.convert.values import arg, as_list, call, split_names, text
from jenkins2flow.ir import Closure, Plugin, Span, Step

# credentials binding kinds -> (source, [(env kwarg, connection field)]); see FILE_FIELDS and PATH_FIELDS. An SSH key's
# extras are named as Airflow's SSH connections name them (SSHHook: private_key, private_key_passphrase)
BINDINGS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "string": ("variable", [("variable", "")]),
    "StringBinding": ("variable", [("variable", "")]),
    "file": ("variable", [("variable", "file")]),
    "FileBinding": ("variable", [("variable", "file")]),
    "zip": ("variable", [("variable", "zip")]),
    "usernamePassword": ("connection", [("usernameVariable", "login"), ("passwordVariable", "password")]),
    "UsernamePasswordMultiBinding": ("connection", [("usernameVariable", "login"), ("passwordVariable", "password")]),
    "usernameColonPassword": ("connection", [("variable", "login:password")]),
    "UsernamePasswordBinding": ("connection", [("variable", "login:password")]),
    "sshUserPrivateKey": ("connection", [("keyFileVariable", "private_key"), ("usernameVariable", "login"),
                                         ("passphraseVariable", "private_key_passphrase")]),
    "SSHUserPrivateKeyBinding": ("connection", [("keyFileVariable", "private_key"), ("usernameVariable", "login"),
                                                ("passphraseVariable", "private_key_passphrase")]),
    "certificate": ("connection", [("keystoreVariable", "keystore"), ("passwordVariable", "password")]),
    "AmazonWebServicesCredentialsBinding": ("connection", [("accessKeyVariable", "login"),
                                                           ("secretKeyVariable", "password")]),
}

# the fields whose variable Jenkins sets to the path of a temporary file holding the secret, a file the runtime
# writes the same way (SecretRef.as_file; runtime executors.secret_files): file, sshUserPrivateKey's keyFileVariable
FILE_FIELDS = frozenset({"file", "private_key"})
# the fields whose variable Jenkins sets to a path the runtime does not make: zip's folder of the unzipped archive,
# the certificate's PKCS#12 keystore (both binary: an Airflow variable or connection field holds text)
PATH_FIELDS = frozenset({"zip", "keystore"})


def binding_of(value: Any, scope: Scope, span: Span) -> tuple[str, dict[str, str]] | str:
    """A credentials binding (`usernamePassword(credentialsId: id, ...)`, `[$class: ..., ...]`) as (kind, fields),
    each field a string known now (an id from `env.X` or a `def` is evaluated), else why it cannot be read."""
    if isinstance(value, Step):
        kind, raw = value.name, dict(value.kwargs)
    elif isinstance(value, dict) and ("$class" in value or "class" in value):
        kind, raw = str(value.get("$class") or value.get("class")).rsplit(".", 1)[-1], dict(value)
    else:
        found = call(value)
        return found if found is not None else f"cannot read the binding {text(value)!r}"
    fields: dict[str, str] = {}
    for k, v in raw.items():
        result = scope.ev.string(v, span)
        if isinstance(result, Static):
            fields[str(k)] = str(result.value)
        elif k in ("credentialsId",) or k.endswith("Variable") or k == "variable":
            why = str(result) if isinstance(result, Unknown) else "it is only known in the run (a secret reference " \
                "is fixed when converting)"
            return f"{kind} {k} is not converted: {why}"
    return kind, fields


def secret_refs(values: list[Any], node: Step | Plugin, ctx: Ctx, scope: Scope) -> list[model.SecretRef]:
    refs: list[model.SecretRef] = []
    for value in values:
        found = binding_of(value, scope, node.span)
        if isinstance(found, str):
            ctx.placeholder("credentials binding", node.span, found, scope, key="withCredentials", fallback=False)
            continue
        kind, kw = found
        spec = BINDINGS.get(kind) or BINDINGS.get(kind.rsplit(".", 1)[-1])
        if spec is None or not kw.get("credentialsId", ""):
            ctx.placeholder(f"credentials binding {kind}", node.span, "unknown binding kind or no credentialsId",
                            scope, key=kind, fallback=False)
            continue
        refs += binding_refs(kind, kw, node.span, ctx)
    return refs


def binding_refs(kind: str, kw: dict[str, str], span: Span, ctx: Ctx, binding: str = "",
                 cred_kind: str = "") -> list[model.SecretRef]:
    """The secret references of one credentials binding of a known `kind` (a key of BINDINGS) whose fields are `kw`
    (credentialsId and the variables), recorded in the credentials plan under `binding` (default: the kind) with the
    credential's kind when it was looked up (`cred_kind`)."""
    cred = kw["credentialsId"]
    source, envs = BINDINGS.get(kind) or BINDINGS[kind.rsplit(".", 1)[-1]]
    names = [kw.get(k, "") for k, _ in envs]
    refs = [r.model_copy(update={"as_file": True}) if r.field in FILE_FIELDS else r
            for r in ctx.credential(cred, binding or kind, names, source, span, [f for _, f in envs], cred_kind)]
    paths = [name for name, (_, f) in zip(names, envs, strict=True) if name and f in PATH_FIELDS]
    if paths:
        ctx.approximated(f"credentials binding {kind}", span, f"Jenkins sets {', '.join(map(repr, paths))} "
                         "to the path of a temporary file or folder made from the secret; the task's variable "
                         "holds the secret's value itself (the runtime makes no such file)", kind)
    dropped = [f"{k}={v!r}" for k, v in kw.items() if k.endswith("Variable") and v and v not in names]
    if dropped:
        ctx.approximated(f"credentials binding {kind}", span, f"{', '.join(dropped)}: Jenkins sets it, "
                         "the task does not (no Airflow field holds it)", kind)
    return refs


def with_credentials(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    values = as_list(node.args[0]) if node.args and not isinstance(node.args[0], Closure) else []
    refs = secret_refs(values, node, ctx, scope)
    ctx.mapped("step withCredentials", node.span, "withCredentials",
               f"{len(refs)} secret references (Airflow connections/variables, never values)")
    ctx.walk(body(node), scope.with_secrets(refs))


SSH_KEY_ENV = "JENKINS2FLOW_SSH_KEY_{n}"


def agent_keys(credentials: list[str], node: Step | Plugin, ctx: Ctx, scope: Scope) -> Scope:
    """The scope of tasks inside Jenkins' sshagent: each credential's private key (an Airflow connection's
    `private_key` extra, read at run time) held by an ssh-agent the runtime starts for each task's command."""
    refs: list[model.SecretRef] = []
    names: list[str] = []
    for cred in credentials:
        name = SSH_KEY_ENV.format(n=len(scope.ssh_keys) + len(names) + 1)
        refs += ctx.credential(cred, "sshagent", [name], "connection", node.span, ["private_key"])
        names.append(name)
    return replace(scope.with_secrets(refs), ssh_keys=scope.ssh_keys + tuple(names))


def ssh_agent(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    ids = scope.ev.value(arg(node, "credentials", ()), node.span)  # ids from env.X or a def are known now
    if not isinstance(ids, Static):
        why = str(ids) if isinstance(ids, Unknown) else "they are only known in the run"
        ctx.placeholder("step sshagent", node.span, f"the credential ids are not converted: {why}", scope,
                        key="sshagent", fallback=False)
        ids = Static(())
    creds = split_names(ids.value)
    ctx.mapped("step sshagent", node.span, "sshagent", f"{len(creds)} key(s) from Airflow connections, held by an "
               "ssh-agent the runtime starts for each task (SSH_AUTH_SOCK)")
    ctx.walk(body(node), agent_keys(creds, node, ctx, scope))


def secret_wrapper(pl: Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> Scope:
    """A credentials-binding or ssh-agent build wrapper: the builders after it get the secret references."""
    if pl.cls.endswith("SSHAgentBuildWrapper"):
        creds = split_names(pl.field("credentialIds") or pl.field("user"))
        ctx.mapped(f"wrapper {pl.cls}", pl.span, pl.cls, f"{len(creds)} key(s) held by an ssh-agent for each task")
        return agent_keys(creds, pl, ctx, scope)
    refs = secret_refs(as_list(pl.field("bindings")), pl, ctx, scope)
    ctx.mapped(f"wrapper {pl.cls}", pl.span, pl.cls, f"{len(refs)} secret references")
    return scope.with_secrets(refs)


HANDLERS: dict[str, Handler] = {
    "with_credentials": with_credentials, "ssh_agent": ssh_agent, "secret_wrapper": secret_wrapper,
}
