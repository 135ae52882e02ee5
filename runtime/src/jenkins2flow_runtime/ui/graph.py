"""A pipeline's task graph laid out for an SVG: layers by dependency depth, ordered to keep edges short; left to
right, or top to bottom when that is what fits the page (a long chain, as a converted Jenkinsfile with post blocks
often is). Gates (Jenkins `when`, `input`, post conditions, catch and finally blocks) and matrix tasks are marked."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jenkins2flow_runtime.model import PipelineSpec

NODE_W, GAP_X, GAP_Y, PAD = 240, 70, 22, 16
LINE = 17  # px between the text lines of a node
FITS = 1220  # px: the widest graph shown left to right without scrolling (the page's width less its margins)
# what a line holds before it is cut with "…" (the full text is in the node's tooltip)
HEAD_CHARS, BODY_CHARS, FOOT_CHARS = 27, 31, 30
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


def _cut(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


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

    @property
    def lines(self) -> tuple[str, str, str]:
        """What the box reads, each line cut to fit: (head, body, foot). A converted task's title "Stage · step"
        is the stage over the step, a gate's body names the block it opens, and the foot is the stable id (the
        task it runs when there is no title)."""
        stage, _, step = self.title.partition(" · ") if self.title else (self.id, "", "")
        body = f"gate: {self.gate}" if self.gate else step
        foot = self.id if self.title else self.uses.split("/", 1)[1]
        if self.cells:
            foot = f"× {self.cells} · {foot}"
        return _cut(stage, HEAD_CHARS), _cut(body, BODY_CHARS), _cut(foot, FOOT_CHARS)


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
    node_w: int = NODE_W
    node_h: int = 0
    direction: str = "LR"  # LR: layers are columns; TB: layers are rows

    @property
    def gates(self) -> dict[str, str]:
        """task id -> the gate's label, for the tasks that are gates."""
        return {n.id: n.gate for n in self.nodes if n.gate}


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
    depth: dict[str, int] = {}

    def depth_of(tid: str) -> int:
        stack = [tid]
        while stack:
            cur = stack[-1]
            pending = [d for d in deps[cur] if d not in depth]
            if pending:
                stack.extend(pending)
                continue
            depth[cur] = 1 + max((depth[d] for d in deps[cur]), default=-1)
            stack.pop()
        return depth[tid]

    layers: dict[int, list[str]] = {}
    for t in spec.tasks:
        layers.setdefault(depth_of(t.id), []).append(t.id)
    # order each layer by the mean place of its dependencies (barycentre), ties by declaration order
    place: dict[str, float] = {}
    for lay in sorted(layers):
        ids = layers[lay]
        ids.sort(key=lambda i: (sum(place[d] for d in deps[i]) / len(deps[i]) if deps[i] else order[i], order[i]))
        for p, tid in enumerate(ids):
            place[tid] = p
    three = any(n.lines[1] for n in nodes.values())
    node_w, node_h = NODE_W, 20 + LINE * (2 if three else 1) + 14
    widest = max((len(ids) for ids in layers.values()), default=0)
    # left to right when it fits the page or is no wider than top to bottom would be; else top to bottom
    across = len(layers) * node_w + max(len(layers) - 1, 0) * GAP_X
    down = widest * node_w + max(widest - 1, 0) * GAP_Y
    direction = "LR" if across <= FITS or across <= down else "TB"
    # in the layer's direction: a layer's step, and a node's step within its layer
    if direction == "LR":
        layer_step, slot_step, slot_size = node_w + GAP_X, node_h + GAP_Y, node_h
    else:
        layer_step, slot_step, slot_size = node_h + GAP_X // 2, node_w + GAP_Y, node_w
    layers_span = len(layers) * layer_step - (layer_step - (node_w if direction == "LR" else node_h)) if layers else 0
    slots_span = widest * slot_step - (slot_step - slot_size) if widest else 0
    graph = Graph(node_w=node_w, node_h=node_h, direction=direction)
    along, side = PAD * 2 + layers_span, PAD * 2 + slots_span
    graph.width, graph.height = (along, side) if direction == "LR" else (side, along)
    for lay, ids in layers.items():
        offset = (widest - len(ids)) * slot_step // 2
        for p, tid in enumerate(ids):
            n = nodes[tid]
            a, b = PAD + lay * layer_step, PAD + offset + p * slot_step
            n.layer, (n.x, n.y) = lay, ((a, b) if direction == "LR" else (b, a))
            graph.nodes.append(n)
    # how far each layer's boxes reach on the side where edges over several layers go round (below / right)
    reach: dict[int, int] = {}
    for n in graph.nodes:
        reach[n.layer] = max(reach.get(n.layer, 0), n.y + node_h if direction == "LR" else n.x + node_w)
    for tid, ds in deps.items():
        for d in ds:
            before, after = nodes[d], nodes[tid]
            side = max(reach[lay] for lay in range(before.layer, after.layer + 1)) + _bend(before, after)
            graph.edges.append(Edge(d, tid, _path(before, after, graph, side)))
            if after.layer - before.layer > 1:  # room for the bend
                if direction == "LR":
                    graph.height = max(graph.height, side + PAD)
                else:
                    graph.width = max(graph.width, side + PAD)
    return graph


def _bend(source: Node, target: Node) -> int:
    """How far an edge over several layers bends out: further for a longer one, so that they do not overlap."""
    return 26 + 12 * (target.layer - source.layer - 2)


def _path(s: Node, t: Node, g: Graph, side: int) -> str:
    """From box to box; over more than one layer, round the side (`side`: below the boxes in between (LR), or right
    of them (TB))."""
    w, h = g.node_w, g.node_h
    if t.layer - s.layer > 1:  # out, along the side with rounded corners, back in
        if g.direction == "LR":
            # leaving a box right of its middle, arriving left of it: one going out and one coming in are apart
            x1, y1, x2, y2 = s.x + w // 2 + 8, s.y + h, t.x + w // 2 - 8, t.y + h
            return (f"M{x1},{y1} L{x1},{side - 10} Q{x1},{side} {x1 + 10},{side} L{x2 - 10},{side} "
                    f"Q{x2},{side} {x2},{side - 10} L{x2},{y2 + 6}")
        x1, y1, x2, y2 = s.x + w, s.y + h // 2 + 8, t.x + w, t.y + h // 2 - 8
        return (f"M{x1},{y1} L{side - 10},{y1} Q{side},{y1} {side},{y1 + 10} L{side},{y2 - 10} "
                f"Q{side},{y2} {side - 10},{y2} L{x2 + 6},{y2}")
    if g.direction == "LR":
        x1, y1, x2, y2 = s.x + w, s.y + h // 2, t.x, t.y + h // 2
        mid = (x1 + x2) // 2
        return f"M{x1},{y1} C{mid},{y1} {mid},{y2} {x2 - 6},{y2}"
    x1, y1, x2, y2 = s.x + w // 2, s.y + h, t.x + w // 2, t.y
    mid = (y1 + y2) // 2
    return f"M{x1},{y1} C{x1},{mid} {x2},{mid} {x2},{y2 - 6}"
