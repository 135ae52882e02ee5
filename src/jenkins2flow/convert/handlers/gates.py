"""What waits or decides at build time: `input` (a manual gate task) and conditional build steps (Jenkins run
conditions, kept as placeholders that run the original job)."""

from __future__ import annotations

from jenkins2flow.convert.context import RUNTIME, Ctx, Handler, Scope
from jenkins2flow.convert.evaluate import Static
from jenkins2flow.convert.handlers.nodes import plugin_text
from jenkins2flow.convert.rules import Rule
from jenkins2flow.convert.values import arg, text
from jenkins2flow.ir import Plugin, Step


def manual_gate(ctx: Ctx, scope: Scope, message: str, ok: str, submitter: str) -> None:
    """A task that waits until a person approves the run (step `input`, a stage's `input` directive)."""
    spec = {"type": "python", "callable": f"{RUNTIME}:manual_gate",
            "description": "Waits until a person approves the run (Airflow variable) or the timeout passes."}
    ctx.emit("airflow.manual-gate", spec, scope, label="input", named=True,
             bindings={"message": message, "ok": ok, "submitter": submitter})


def input_(node: Step, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    texts: list[str] = []
    computed: list[str] = []
    for name, raw in (("message", arg(node, "message", "Proceed?")), ("ok", node.kwarg("ok") or ""),
                      ("submitter", node.kwarg("submitter") or "")):
        value = scope.ev.string(raw, node.span)
        texts.append(str(value.value) if isinstance(value, Static) else text(raw))
        computed += [] if isinstance(value, Static) else [name]
    manual_gate(ctx, scope, *texts)
    if computed:
        ctx.approximated("step input", node.span, f"its {', '.join(computed)} computed by Groovy is shown as written "
                         "in the Jenkinsfile", "input")
    else:
        ctx.mapped("step input", node.span, "input", "a manual gate (see docs/post-conditions.md#input)")


def conditional_builder(pl: Plugin, rule: Rule, ctx: Ctx, scope: Scope) -> None:
    ctx.placeholder(f"builder {pl.cls}", pl.span, "run conditions are evaluated by Jenkins at build time", scope,
                    key=pl.cls, source=plugin_text(pl))


HANDLERS: dict[str, Handler] = {"input": input_, "conditional_builder": conditional_builder}
