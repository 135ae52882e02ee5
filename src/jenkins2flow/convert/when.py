"""A stage's `when {}` directive: a gate task (jenkins2flow_runtime.fallback:when_gate) that skips the stage's tasks
when its conditions are false; the stages after it still run. Conditions a gate cannot evaluate (no rule in mappings
`when:`) are flagged."""

from __future__ import annotations

from jenkins2flow.convert.context import RUNTIME, Ctx, Scope
from jenkins2flow.convert.values import literal
from jenkins2flow.ir import Stage, When


def _when_dict(w: When) -> dict[str, object]:
    return {"kind": w.kind, "args": literal(list(w.args)), "kwargs": {k: literal(v) for k, v in w.kwargs},
            "children": [_when_dict(c) for c in w.children]}


def _all_when(items: tuple[When, ...]) -> list[When]:
    out: list[When] = []
    for w in items:
        out.append(w)
        out += _all_when(w.children)
    return out


def gate(st: Stage, ctx: Ctx, scope: Scope) -> None:
    assert st.when is not None
    unknown = [w.kind for w in _all_when(st.when.conditions) if ctx.rules.rule("when", w.kind) is None]
    if unknown:
        ctx.placeholder(f"when {unknown[0]}", st.when.span, ctx.rules.unknown("when", unknown[0], "when condition"),
                        scope, key=f"when {unknown[0]}", fallback=False)
    spec = {"type": "python", "callable": f"{RUNTIME}:when_gate",
            "description": "Skips the stage's tasks when its Jenkins `when` conditions are false (short-circuit)."}
    ctx.emit("airflow.when-gate", spec, scope, label="gate", named=True,
             bindings={"conditions": [_when_dict(w) for w in st.when.conditions], "stage": st.name})
    ctx.mapped("when", st.when.span, "when", "a gate task that skips the stage when false; later stages still run")
