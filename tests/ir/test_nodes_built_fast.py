"""IR nodes are built through a mutable twin class (`ir.nodes._fast_new`); what comes out must be exactly the frozen
dataclass the decorator defines."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest

from jenkins2flow.ir import nodes
from jenkins2flow.ir.nodes import Diagnostic, Job, Param, Plugin, Span, XmlNode
from jenkins2flow.parse.xml.raw import LazyXmlNode

CLASSES = [v for v in vars(nodes).values() if isinstance(v, type) and dataclasses.is_dataclass(v)
           and v.__module__ == nodes.__name__]


def _sample() -> Job:
    span = Span("config.xml", 3, 5, 4, 1)
    return Job("team/job", "freestyle", span, description="d", parameters=(Param("P", "string", span, "x"),),
               builders=(Plugin("hudson.tasks.Shell", span, "", (("command", "echo 1"),), None),),
               diagnostics=(Diagnostic("warning", "w", span, "code"),))


def test_every_ir_class_is_frozen_and_built_as_itself() -> None:
    assert len(CLASSES) > 20
    for cls in CLASSES:
        params = getattr(cls, "__dataclass_params__")  # noqa: B009
        assert params.frozen and "__slots__" in cls.__dict__, cls
        assert "__init__" not in cls.__dict__, cls  # `__new__` builds it


def test_fields_defaults_and_type_are_the_dataclass_ones() -> None:
    span = Span("p")
    assert type(span) is Span
    assert (span.path, span.line, span.col, span.end_line, span.end_col) == ("p", 1, 1, 0, 0)
    assert Span("p", col=7) == Span("p", 1, 7, 0, 0)
    assert hash(Span("p", 2)) == hash(Span("p", 2)) and Span("p", 2) != Span("p", 3)
    assert repr(Span("p", 2)) == "Span(path='p', line=2, col=1, end_line=0, end_col=0)"
    job = _sample()
    assert type(job) is Job and type(job.parameters[0]) is Param
    assert job.diagnostics[0].code == "code" and job.kind == "freestyle" and job.steps == ()


def test_nodes_stay_frozen() -> None:
    job = _sample()
    with pytest.raises(dataclasses.FrozenInstanceError):
        job.kind = "pipeline"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del job.span.line  # type: ignore[misc]
    with pytest.raises((dataclasses.FrozenInstanceError, TypeError)):  # (TypeError: Python 3.11's frozen slots)
        job.__class__ = Span  # type: ignore[assignment]  # nor its class, as with any frozen dataclass
    assert type(job) is Job


def test_wrong_calls_fail_as_the_dataclass_constructor_does() -> None:
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'path'"):
        Span()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword argument 'nope'"):
        Span("p", nope=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Span("p", 1, 1, 0, 0, 9)  # type: ignore[call-arg]


def test_replace_copy_deepcopy_and_pickle_give_equal_nodes() -> None:
    job = _sample()
    assert dataclasses.replace(job, kind="pipeline").kind == "pipeline"
    for twin in (copy.copy(job), copy.deepcopy(job), pickle.loads(pickle.dumps(job))):
        assert twin == job and type(twin) is Job and twin.builders[0].fields == (("command", "echo 1"),)
    assert copy.deepcopy(job).span is not job.span


def test_a_subclass_builds_itself() -> None:
    lazy = LazyXmlNode("t", Span("p"), (("a", "1"),), "text", ())
    assert type(lazy) is LazyXmlNode
    assert lazy == XmlNode("t", Span("p"), (("a", "1"),), "text", ())
    assert type(dataclasses.replace(lazy, text="u")) is LazyXmlNode
