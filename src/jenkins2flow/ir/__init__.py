"""Typed, frozen intermediate representation of Jenkins jobs."""

from jenkins2flow.ir.nodes import (
    Agent,
    Axis,
    Closure,
    Diagnostic,
    EnvVar,
    Expr,
    GString,
    Interp,
    Job,
    Matrix,
    Param,
    Plugin,
    PostBlock,
    Scm,
    Span,
    Stage,
    Step,
    Tool,
    Trigger,
    Value,
    When,
    WhenBlock,
    XmlNode,
    span_of,
)

__all__ = [
    "Agent", "Axis", "Closure", "Diagnostic", "EnvVar", "Expr", "GString", "Interp", "Job", "Matrix", "Param",
    "Plugin", "PostBlock", "Scm", "Span", "Stage", "Step", "Tool", "Trigger", "Value", "When", "WhenBlock", "XmlNode",
    "span_of",
]
