"""Readable differences between two versions of a document (deepdiff on the specs)."""

from __future__ import annotations

import difflib
from typing import Any

from jenkins2flow_runtime.model import Document
from jenkins2flow_runtime.model.errors import dotted

_MISSING = object()


def _show(value: Any) -> str:
    return repr(value)


def spec_diff(a: Document, b: Document) -> list[str]:
    """One line per change, `spec.<path>: old -> new`; multi-line text changes as a unified diff below it."""
    from deepdiff import DeepDiff

    old, new = a.spec.model_dump(mode="json"), b.spec.model_dump(mode="json")
    tree = DeepDiff(old, new, view="tree", ignore_order=False)
    changes: list[tuple[str, list[str]]] = []
    for change_type in sorted(tree):
        for level in tree[change_type]:
            path = "spec." + dotted(level.path(output_format="list")) if level.path(output_format="list") else "spec"
            t1 = level.t1 if change_type not in ("dictionary_item_added", "iterable_item_added") else _MISSING
            t2 = level.t2 if change_type not in ("dictionary_item_removed", "iterable_item_removed") else _MISSING
            if t1 is _MISSING:
                changes.append((path, [f"{path}: added {_show(t2)}"]))
            elif t2 is _MISSING:
                changes.append((path, [f"{path}: removed {_show(t1)}"]))
            elif isinstance(t1, str) and isinstance(t2, str) and ("\n" in t1 or "\n" in t2):
                udiff = difflib.unified_diff(
                    t1.splitlines(), t2.splitlines(), f"v{a.version}", f"v{b.version}", lineterm=""
                )
                changes.append((path, [f"{path}: text changed", *("    " + line for line in udiff)]))
            else:
                changes.append((path, [f"{path}: {_show(t1)} -> {_show(t2)}"]))
    return [line for _, lines in sorted(changes, key=lambda c: c[0]) for line in lines]
