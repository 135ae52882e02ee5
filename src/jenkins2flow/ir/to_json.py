"""IR -> plain JSON-serializable dicts, generic over the dataclasses in `nodes`.

Empty and default fields are dropped to keep the output readable, except the ones a reader always expects
(`ALWAYS`). Special shapes: `GString` -> {"gstring": [...], "text": ...}, `Interp` -> {"ref": expr},
`Expr` -> {"expr": text}, `Closure` -> {"closure": [...steps], "params": [...]}, `Span` -> {"path", "line", "col"}.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from jenkins2flow.ir.nodes import Closure, Expr, GString, Interp, Job, Span

__all__ = ["job_to_dict", "to_jsonable"]

ALWAYS = {
    "Job": ("full_name", "kind", "parameters", "triggers", "stages", "diagnostics"),
    "Stage": ("name",),
    "Step": ("name",),
}
_SKIP = {"Job": ("script",)}  # the Jenkinsfile text itself: the reader has it already


def job_to_dict(job: Job, include_script: bool = False) -> dict[str, Any]:
    """A JSON-serializable dict for `job` (the Jenkinsfile text is left out unless `include_script`)."""
    d = to_jsonable(job)
    if include_script and job.script:
        d["script"] = job.script
    return d  # type: ignore[no-any-return]


def to_jsonable(v: Any) -> Any:
    if v is None or isinstance(v, (str, bool, int, float)):
        return v
    if isinstance(v, Span):
        return {"path": v.path, "line": v.line, "col": v.col}
    if isinstance(v, GString):
        return {"gstring": [to_jsonable(p) for p in v.parts], "text": v.text}
    if isinstance(v, Interp):
        return {"ref": v.expr}
    if isinstance(v, Expr):
        return {"expr": v.text}
    if isinstance(v, Closure):
        out: dict[str, Any] = {"closure": [to_jsonable(s) for s in v.body]}
        if v.params:
            out["params"] = list(v.params)
        return out
    if isinstance(v, (tuple, list)):
        return [to_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): to_jsonable(x) for k, x in v.items()}
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        cls = type(v).__name__
        keep = ALWAYS.get(cls, ())
        skip = _SKIP.get(cls, ())
        res: dict[str, Any] = {}
        for f in dataclasses.fields(v):
            if f.name in skip:
                continue
            x = getattr(v, f.name)
            if f.name not in keep and _is_default(f, x):
                continue
            if f.name in ("kwargs", "options", "tools", "extra", "fields") and _pairs(x):
                res[f.name] = {str(k): to_jsonable(val) for k, val in x}
            elif f.name == "children" and cls == "Step":
                res[f.name] = [{"label": k, "steps": to_jsonable(b)} for k, b in x]
            else:
                res[f.name] = to_jsonable(x)
        return res
    return repr(v)


def _pairs(x: Any) -> bool:
    return isinstance(x, tuple) and all(isinstance(e, tuple) and len(e) == 2 and isinstance(e[0], str) for e in x)


def _is_default(f: dataclasses.Field[Any], x: Any) -> bool:
    if x is None or x == () or x == "":
        return True
    if f.default is not dataclasses.MISSING and type(x) is type(f.default) and x == f.default:
        return True
    return False
