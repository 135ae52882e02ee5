"""A pipeline's task graph laid out left to right for an SVG: columns by dependency depth, rows ordered to keep
edges short. Gates (Jenkins `when`, `input`, post conditions, catch and finally blocks) and matrix tasks are
marked."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jenkins2flow_runtime.model import PipelineSpec

NODE_W, NODE_H, GAP_X, GAP_Y, PAD = 200, 54, 70, 22, 16
BLOCK_GATE = "jenkins2flow_runtime.control:block_gate"  # converted post conditions, catch and finally blocks
GATES = {  # callables that decide whether the rest runs
    "jenkins2flow_runtime.fallback:when_gate": "when",
    "jenkins2flow_runtime.fallback:post_gate": "post condition",
    "jenkins2flow_runtime.fallback:manual_gate": "input",
    BLOCK_GATE: "post / catch / finally",
}


def _gate(callable_: str, bindings: dict[str, Any]) -> str:
    """The gate's label: a converted block gate says which block it opens (its `control_label` binding reads
    "post failure", "catch (e) at Jenkinsfile:12:3", "finally at ...")."""
    label = GATES.get(callable_, "")
    if callable_ == BLOCK_GATE:
        words = str(bindings.get("control_label", "")).split()
        if words[:1] == ["post"] and len(words) > 1:
            return f"post {words[1]}"
        if words[:1] in (["catch"], ["finally"]):
            return words[0]
    return label


@dataclass
class Node:
    id: str
    title: str
    uses: str  # "kind/name@version"
    x: int = 0
    y: int = 0
    gate: str = ""  # when | input | post condition | post failure | catch | finally ...
    cells: int = 0  # matrix cells
    trigger_rule: str = "all_success"
    layer: int = 0


@dataclass
class Edge:
    source: str
    target: str
    path: str = ""  # SVG path data


@dataclass
class Graph:
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    width: int = 0
    height: int = 0


def layout(spec: PipelineSpec, callables: dict[str, str] | None = None) -> Graph:
    """`callables`: the python callable of each concrete task used ("name@version" -> "pkg.mod:fn"), to mark gates."""
    callables = callables or {}
    order = {t.id: i for i, t in enumerate(spec.tasks)}
    nodes = {
        t.id: Node(t.id, t.title, f"{t.uses.kind}/{t.uses.name}@{t.uses.version}",
                   gate=_gate(callables.get(f"{t.uses.name}@{t.uses.version}", ""), t.bindings),
                   cells=len(t.matrix), trigger_rule=t.trigger_rule)
        for t in spec.tasks
    }
    deps = {t.id: [d for d in t.depends_on if d in nodes] for t in spec.tasks}
    # longest path from a root (the model guarantees no cycles)
    layer: dict[str, int] = {}

    def depth(tid: str) -> int:
        stack = [tid]
        while stack:
            cur = stack[-1]
            pending = [d for d in deps[cur] if d not in layer]
            if pending:
                stack.extend(pending)
                continue
            layer[cur] = 1 + max((layer[d] for d in deps[cur]), default=-1)
            stack.pop()
        return layer[tid]

    columns: dict[int, list[str]] = {}
    for t in spec.tasks:
        columns.setdefault(depth(t.id), []).append(t.id)
    # order each column by the mean row of its dependencies (barycentre), ties by declaration order
    row: dict[str, float] = {}
    for col in sorted(columns):
        ids = columns[col]
        ids.sort(key=lambda i: (sum(row[d] for d in deps[i]) / len(deps[i]) if deps[i] else order[i], order[i]))
        for r, tid in enumerate(ids):
            row[tid] = r
    tallest = max((len(c) for c in columns.values()), default=0)
    graph = Graph(width=PAD * 2 + len(columns) * NODE_W + max(len(columns) - 1, 0) * GAP_X,
                  height=PAD * 2 + tallest * NODE_H + max(tallest - 1, 0) * GAP_Y)
    for col, ids in columns.items():
        offset = (tallest - len(ids)) * (NODE_H + GAP_Y) // 2
        for r, tid in enumerate(ids):
            n = nodes[tid]
            n.layer, n.x, n.y = col, PAD + col * (NODE_W + GAP_X), PAD + offset + r * (NODE_H + GAP_Y)
            graph.nodes.append(n)
    for tid, ds in deps.items():
        for d in ds:
            a, b = nodes[d], nodes[tid]
            x1, y1, x2, y2 = a.x + NODE_W, a.y + NODE_H // 2, b.x, b.y + NODE_H // 2
            mid = (x1 + x2) // 2
            graph.edges.append(Edge(d, tid, f"M{x1},{y1} C{mid},{y1} {mid},{y2} {x2 - 6},{y2}"))
    return graph
