"""A stage's `when {}` directive, decided by the scope's evaluator (convert.evaluate.when):

- known when converting (`expression { false }`, an environment value written in the Jenkinsfile): true -> no gate;
  false -> the stage never runs, so it has no task;
- decided in the run: a gate task (jenkins2flow_runtime.fallback:when_gate) evaluates the condition's expression tree
  and skips the stage's tasks when it is false; the stages after it still run;
- not understood: the gate's tree fails the run there, naming the place (never true by default); the job is
  partial.

Inside a Jenkins matrix the condition is per cell: decided per cell when converting when it can be (the stage's
tasks then map over the cells where it holds: exact), else each task carries the condition and a cell where it is
false runs nothing (PipelineTask.condition; an approximation: Airflow shows the instance as done, not skipped).

`beforeAgent`, `beforeInput`, `beforeOptions`: Jenkins then decides before entering the stage, so the condition
does not see the stage's `environment {}`; with `beforeInput` or `beforeOptions` the gate comes before the stage's
`input` (else after it, as Jenkins asks for input first).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from jenkins2flow.convert.context import Ctx, Scope
from jenkins2flow.convert.evaluate import Result, Static, Unknown, gate_tree
from jenkins2flow.convert.scripted import GATE_SPEC
from jenkins2flow.ir import Stage, WhenBlock

CELL_NOTE = ("decided per matrix cell in the run: a cell where it is false runs none of the stage's steps, but its "
             "task instances end as done, not skipped (Airflow skips a mapped task's instances only all together)")


def early(block: WhenBlock) -> bool:
    """Whether Jenkins decides the condition before entering the stage (its agent and environment)."""
    return block.before_agent or block.before_input or block.before_options


def gate(st: Stage, ctx: Ctx, scope: Scope, before: Scope) -> tuple[Scope | None, Result | None]:
    """The stage's `when`: (the scope of the stage's tasks, or None when the stage never runs; the condition a
    gate task decides in the run, None when there is no gate). `before` is the scope before the stage's agent and
    environment (for `beforeAgent`...)."""
    block = st.when
    assert block is not None
    base = before if early(block) else scope
    flags = [f for f, on in (("beforeAgent", block.before_agent), ("beforeInput", block.before_input),
                             ("beforeOptions", block.before_options)) if on]
    said = f" ({', '.join(flags)}: decided before the stage's agent and environment)" if flags else ""
    if scope.matrix:
        return cell_gate(block, ctx, scope, base, f"stage {st.name!r}", st.name)
    result = base.ev.when(block)
    if isinstance(result, Static):
        if result.value:
            ctx.mapped("when", block.span, "when", f"true whatever the run: the stage always runs{said}")
            return scope, None
        ctx.mapped("when", block.span, "when", f"false whatever the run: the stage never runs{said}")
        return None, None
    if isinstance(result, Unknown):
        ctx.approximated("when", block.span, f"the condition is not converted ({result}); the gate stops the run "
                         "there, naming the place (never true by default)", "when")
    else:
        ctx.mapped("when", block.span, "when", f"a gate task decides it in the run; false skips the stage, later "
                   f"stages still run{said}")
    ctx.emit("airflow.when-gate", GATE_SPEC, replace(scope, ev=base.ev), label="gate", named=True,
             bindings={"condition": gate_tree(result), "stage": st.name})
    return scope, result


def cell_gate(block: WhenBlock, ctx: Ctx, scope: Scope, base: Scope, what: str,
              stage: str) -> tuple[Scope | None, Result | None]:
    """A `when` inside a matrix, decided per cell: (the scope of the stage's tasks, or None when no cell runs it;
    the condition of a gate task, None when there is none). Known for every cell now -> the cells where it holds.
    Not reading the cell (the axes) -> one gate task before the mapped tasks, as outside a matrix: exact.
    Else the tasks carry the condition (ANDed with an enclosing one), an approximation (CELL_NOTE)."""
    decided: list[bool] = []
    for cell in scope.matrix:
        ev = base.ev
        for axis, value in cell:
            ev = ev.bind_env(axis, value)
        result = ev.when(block)
        if not isinstance(result, Static):
            break
        decided.append(bool(result.value))
    else:
        keep = tuple(cell for cell, holds in zip(scope.matrix, decided, strict=True) if holds)
        ctx.mapped(f"when ({what})", block.span, "when", f"decided per cell when converting: {len(keep)} of "
                   f"{len(decided)} cells run it")
        return (replace(scope, matrix=keep) if keep else None), None
    result = base.ev.when(block)
    axes = {axis for cell in scope.matrix for axis, _ in cell}
    if not isinstance(result, Unknown) and not reads(gate_tree(result), axes):
        ctx.mapped(f"when ({what})", block.span, "when", "the same for every cell: a gate task decides it in the "
                   "run, before the cells")
        ctx.emit("airflow.when-gate", GATE_SPEC, replace(scope, ev=base.ev, matrix=(), cell_condition=None),
                 label="gate", named=True, bindings={"condition": gate_tree(result), "stage": stage})
        return scope, result
    tree: dict[str, Any] = gate_tree(result)
    why = f"the condition is not converted ({result}): every cell fails there. " if isinstance(result, Unknown) \
        else ""
    ctx.approximated(f"when ({what})", block.span, why + CELL_NOTE, "when")
    if scope.cell_condition is not None:
        tree = {"op": "and", "args": [scope.cell_condition, tree]}
    return replace(scope, cell_condition=tree), None


def reads(tree: Any, names: set[str]) -> bool:
    """Whether the tree reads one of `names` (as a variable, an environment variable or a parameter)."""
    if isinstance(tree, list):
        return any(reads(t, names) for t in tree)
    if not isinstance(tree, dict):
        return False
    if any(tree.get(kind) in names for kind in ("env", "bare", "param")):
        return True
    if tree.get("op") == "environment" and tree.get("name") in names:
        return True
    return any(reads(tree.get(key), names) for key in ("args", "list", "map"))
