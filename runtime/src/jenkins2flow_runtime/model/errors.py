"""Validation errors that name the field path of every problem (`spec.tasks[2].depends_on[0]: ...`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

Loc = Sequence[str | int]


def dotted(loc: Loc) -> str:
    """`("spec", "tasks", 2, "id")` -> `spec.tasks[2].id`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class ModelError(ValueError):
    """A document failed validation; `issues` holds one `(field path, message)` pair per problem."""

    def __init__(self, issues: Iterable[tuple[str, str]], *, source: str = "") -> None:
        self.issues = list(issues)
        self.source = source
        prefix = f"{source}: " if source else ""
        super().__init__("\n".join(f"{prefix}{path}: {msg}" if path else f"{prefix}{msg}" for path, msg in self.issues))

    def with_source(self, source: str) -> ModelError:
        return ModelError(self.issues, source=source)


def issues(*found: tuple[Loc, str]) -> PydanticCustomError:
    """Raise from a model validator to report problems at sub-paths of the model being validated."""
    return PydanticCustomError(
        "jenkins2flow", "{summary}", {"summary": "; ".join(m for _, m in found), "issues": list(found)}
    )


def from_validation_error(err: ValidationError, prefix: Loc = ()) -> ModelError:
    """Turn pydantic's errors into `(path, message)` pairs, expanding the sub-paths of our own validators."""
    out: list[tuple[str, str]] = []
    for e in err.errors(include_url=False):
        loc = [*prefix, *e["loc"]]
        ctx = e.get("ctx") or {}
        if e["type"] == "jenkins2flow":
            for sub, msg in ctx["issues"]:
                out.append((dotted([*loc, *sub]), msg))
            continue
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = f"unknown field {loc[-1]!r}"
        elif e["type"] == "missing":
            msg = "required field is missing"
        elif msg.startswith("Value error, "):
            msg = msg.removeprefix("Value error, ")
        out.append((dotted(loc), msg))
    return ModelError(out)
