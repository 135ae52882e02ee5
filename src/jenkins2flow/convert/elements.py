"""Top-level config.xml elements that no other part of the conversion reads: log rotation, views, health metrics,
Maven switches, a matrix's execution strategy, the block-while-building flags... Each is decided by a rule of
`elements` in mappings/directives.yaml, so none is dropped without a reason a user can read:

- `waive: why`: it means nothing outside Jenkins (the ledger says why);
- `inert: values` plus `approximate: why`: the values that change nothing (a list for a plain element, or a mapping
  of child element -> values), and why any other value is not what Airflow does (the job is then partial);
- no rule: approximated as a setting the converter does not read, with how to waive it in a --mappings file.
"""

from __future__ import annotations

from typing import Any

from jenkins2flow.convert.context import Ctx
from jenkins2flow.ir import Job, Span, XmlNode, span_of

# Plain elements other parts of the conversion read (freestyle's matrix filter, Build Flow's script, the workspace
# and JDK of the job).
READ_ELSEWHERE = frozenset({"combinationFilter", "dsl", "customWorkspace", "jdk"})


def job_elements(job: Job, ctx: Ctx) -> None:
    """Put every top-level element nothing else reads in the ledger, by its rule."""
    for tag, value in job.settings:
        if tag not in READ_ELSEWHERE:
            _decide(tag, span_of(job, tag), ctx, value.strip(), None)
    for node in job.unknown:
        _decide(node.tag, node.span, ctx, node.text.strip(), node)


def _decide(tag: str, span: Span, ctx: Ctx, value: str, node: XmlNode | None) -> None:
    element = f"element {tag}"
    rule = ctx.rules.rule("elements", tag)
    if rule is None:
        shown = f" ({value[:80]!r})" if value else ""
        ctx.approximated(element, span, f"a job setting the converter does not read{shown}: it has no effect in "
                         "Airflow. If it means nothing outside Jenkins, say so in a --mappings file: "
                         f"`elements: {{{tag}: {{waive: WHY}}}}`", tag)
    elif rule.waive:
        ctx.waived(element, span, rule.waive, tag)
    elif _inert(rule.get("inert", []), value, node):
        ctx.waived(element, span, "its value changes nothing", tag)
    else:
        ctx.approximated(element, span, str(rule.get("approximate", "not applied in Airflow")), tag)


def _inert(inert: Any, value: str, node: XmlNode | None) -> bool:
    """Whether the element holds only values that change nothing: a list for a plain element's text, a mapping of
    child element -> values for one with children (a missing child has its default, which must be listed as '')."""
    if isinstance(inert, dict):
        if node is None:
            return False
        known = {str(k) for k in inert}
        if any(child.tag not in known for child in node.children):
            return False
        return all(node.findtext(str(k)).strip() in {str(v) for v in values} for k, values in inert.items())
    return value in {str(v) for v in inert}
