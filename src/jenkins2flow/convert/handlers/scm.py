"""Checkout steps: `checkout scm` (the job's own repository), `checkout([$class: 'GitSCM', ...])`,
`checkout scmGit(...)` and `git url: ...` -> a task fetching the commit into the workspace (convert.checkout), or
waived when mappings `scm.provided` says the runtime has the job's own files. Other SCMs stay placeholders."""

from __future__ import annotations

from typing import Any

from jenkins2flow.convert.checkout import Checkout, checkout, checkout_own, from_groovy, is_own
from jenkins2flow.convert.context import Ctx, Handler, Scope
from jenkins2flow.convert.handlers.commands import emit_shell
from jenkins2flow.convert.rules import Rule
from jenkins2flow.convert.values import text
from jenkins2flow.ir import Expr, Step

# arguments of `checkout` / `git` that change nothing outside Jenkins, with why
WAIVED = {"changelog": "changelogs are Jenkins-side", "poll": "SCM polling is Jenkins-side"}


def shell_emitter(node: Step, element: str) -> Any:
    """The checkout's task emitter: a shell task recorded as `element` of `node`."""
    def emit(ctx: Ctx, scope: Scope, script: str) -> None:
        emit_shell(ctx, scope, script, "sh", node, element)

    return emit


def _waive_args(node: Step, ctx: Ctx, known: set[str]) -> None:
    for name, value in node.kwargs:
        if name in WAIVED:
            ctx.waived(f"step {node.name} {name}", node.span, WAIVED[name], node.name)
        elif name not in known:
            ctx.approximated(f"step {node.name} {name}", node.span, f"{name}: {text(value)!r} is not applied",
                             node.name)


def checkout_step(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    value = node.kwarg("scm") if node.kwarg("scm") is not None else (node.args[0] if node.args else None)
    _waive_args(node, ctx, {"scm"})
    element = "step checkout"
    if isinstance(value, Expr) and value.text.strip() == "scm":
        checkout_own(node.span, ctx, scope, element, "checkout", shell_emitter(node, element))
        return
    found = from_groovy(value)
    if found is None:
        ctx.placeholder(element, node.span, f"a checkout of {text(value)[:120]!r}: only Git checkouts are fetched "
                        "outside Jenkins", scope, key="checkout", source=node.raw)
        return
    checkout(is_own(found, ctx), node.span, ctx, scope, element, "checkout", shell_emitter(node, element))


def git_step(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    """`git url: 'x', branch: 'dev', credentialsId: 'c'` (or `git 'x'`): Jenkins' default branch is master, checked
    out as a local branch of that name."""
    url = node.kwarg("url") or (node.args[0] if node.args else None)
    _waive_args(node, ctx, {"url", "branch", "credentialsId"})
    if not isinstance(url, str):
        ctx.placeholder("step git", node.span, "the repository URL is computed by Groovy", scope, key="git",
                        source=node.raw)
        return
    branch = node.kwarg("branch")
    found = Checkout(url, (text(branch) if branch is not None else "master",), text(node.kwarg("credentialsId") or ""),
                     local_branch="**")
    checkout(is_own(found, ctx), node.span, ctx, scope, "step git", "git", shell_emitter(node, "step git"))


HANDLERS: dict[str, Handler] = {"checkout": checkout_step, "git": git_step}
