"""YAML that a person hands us (a catalog file to import, YAML typed in the catalog UI): PyYAML's safe loader, within
limits of depth and expansion. The one bounded loader of the project: the toolkit's safe_yaml adds the file checks.

The safe loader builds no Python objects, but a small file can still expand into a huge one (aliases of aliases,
the "billion laughs"), and its composer recurses once per nesting level (a deeply nested file ends in a
RecursionError). The limits below refuse both before any document is built, in time linear in the file's size.
A refusal is a `YamlRefused` (a yaml.YAMLError) whose message is one line.
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_DEPTH = 64  # nesting levels, after aliases are expanded
MAX_NODES = 1_000_000  # nodes, after aliases are expanded


class YamlRefused(yaml.YAMLError):
    """YAML beyond the limits, or a file that is not text at all."""


class _Loader(yaml.SafeLoader):
    """The safe loader, counting nesting levels while it composes (before the recursion could run away)."""

    def __init__(self, stream: str, max_depth: int) -> None:
        super().__init__(stream)
        self.max_depth = max_depth
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self.depth += 1
        try:
            if self.depth > self.max_depth:
                mark = self.peek_event().start_mark
                raise YamlRefused(f"line {mark.line + 1}: nested more than {self.max_depth} levels deep")
            return super().compose_node(parent, index)  # type: ignore[no-any-return]
        finally:
            self.depth -= 1


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def check_expansion(root: yaml.Node, *, max_nodes: int = MAX_NODES, max_depth: int = MAX_DEPTH) -> None:
    """Refuse a node graph whose aliases expand to more than `max_nodes` nodes or `max_depth` levels, or refer to
    themselves. Each node is visited once (sizes are memoized), so the check is linear in the file."""
    size: dict[int, int] = {}
    height: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            kids = _children(node)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            height[key] = 1 + max((height[id(k)] for k in kids), default=0)
            on_path.discard(key)
            where = f"line {node.start_mark.line + 1}"
            if size[key] > max_nodes:
                raise YamlRefused(f"{where}: aliases expand to more than {max_nodes} nodes")
            if height[key] > max_depth:
                raise YamlRefused(f"{where}: aliases expand to more than {max_depth} levels of nesting")
            continue
        if key in size:
            continue
        if key in on_path:
            raise YamlRefused(f"line {node.start_mark.line + 1}: an alias refers to a node that contains it")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in _children(node) if id(k) not in size)


def load(text: str, *, max_depth: int = MAX_DEPTH, max_nodes: int = MAX_NODES) -> Any:
    """The one YAML document in `text` as plain data (None when empty), within the limits."""
    loader = _Loader(text, max_depth)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        check_expansion(node, max_nodes=max_nodes, max_depth=max_depth)
        return loader.construct_document(node)
    finally:
        loader.dispose()  # type: ignore[no-untyped-call]
