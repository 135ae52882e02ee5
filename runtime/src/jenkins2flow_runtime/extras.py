"""Optional dependencies: boto3 (extra `aws`) and pymongo (extra `mongo`) are installed only on request; the code
that needs one imports it through `require`, which says in one sentence which extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType


class MissingExtra(ImportError):
    """An optional dependency is not installed; the message names the extra that brings it."""


def missing(module: str, extra: str, purpose: str) -> MissingExtra:
    return MissingExtra(f"{purpose} needs {module}, which is not installed: install the {extra!r} extra "
                        f"(pip install 'jenkins2flow[{extra}]', or 'jenkins2flow-runtime[{extra}]' where only the "
                        "runtime is installed).")


def require(module: str, extra: str, purpose: str) -> ModuleType:
    """`module`, imported; MissingExtra when it is not installed."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise missing(module, extra, purpose) from exc
