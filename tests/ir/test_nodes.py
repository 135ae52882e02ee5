"""IR nodes are plain frozen, slotted dataclasses; a lazy raw XML node (`parse.xml.raw.LazyXmlNode`) behaves as the
eager XmlNode it stands for: equal both ways, same hash, frozen, and it survives copy, deepcopy and pickle."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest

from jenkins2flow.ir import nodes
from jenkins2flow.ir.nodes import Diagnostic, Job, Param, Plugin, Span, XmlNode
from jenkins2flow.parse.job_xml import parse_config_xml
from jenkins2flow.parse.xml.raw import LazyXmlNode

CLASSES = [v for v in vars(nodes).values() if isinstance(v, type) and dataclasses.is_dataclass(v)
           and v.__module__ == nodes.__name__]

XML = b"""<?xml version='1.1' encoding='UTF-8'?>
<project>
  <builders>
    <hudson.tasks.Shell plugin="shell@1.0"><command>make</command><env a="1">x</env></hudson.tasks.Shell>
  </builders>
</project>
"""
EAGER = XmlNode("hudson.tasks.Shell", Span("config.xml", 4, 1), (("plugin", "shell@1.0"),), "", (
    XmlNode("command", Span("config.xml", 4, 1), (), "make"),
    XmlNode("env", Span("config.xml", 4, 1), (("a", "1"),), "x"),
))


def _sample() -> Job:
    span = Span("config.xml", 3, 5, 4, 1)
    return Job("team/job", "freestyle", span, description="d", parameters=(Param("P", "string", span, "x"),),
               builders=(Plugin("hudson.tasks.Shell", span, "", (("command", "echo 1"),), None),),
               diagnostics=(Diagnostic("warning", "w", span, "code"),))


def _lazy() -> LazyXmlNode:
    raw = parse_config_xml(XML, "config.xml", "job").builders[0].raw
    assert isinstance(raw, LazyXmlNode) and raw._src is not None  # not read yet
    return raw


def test_every_ir_class_is_a_frozen_slotted_dataclass() -> None:
    assert len(CLASSES) > 20
    for cls in CLASSES:
        params = getattr(cls, "__dataclass_params__")  # noqa: B009
        assert params.frozen and "__slots__" in cls.__dict__, cls


def test_nodes_stay_frozen_and_copy_like_dataclasses() -> None:
    job = _sample()
    with pytest.raises(dataclasses.FrozenInstanceError):
        job.kind = "pipeline"  # type: ignore[misc]
    assert dataclasses.replace(job, kind="pipeline").kind == "pipeline"
    for twin in (copy.copy(job), copy.deepcopy(job), pickle.loads(pickle.dumps(job))):
        assert twin == job and type(twin) is Job and hash(twin.span) == hash(job.span)


def test_a_lazy_node_equals_and_hashes_as_its_eager_node_both_ways() -> None:
    lazy = _lazy()
    assert lazy == EAGER and EAGER == lazy and hash(lazy) == hash(EAGER) and {lazy, EAGER} == {EAGER}
    other = dataclasses.replace(EAGER, text="other")
    assert lazy != other and other != lazy
    assert _lazy() != XmlNode("hudson.tasks.Shell", Span("config.xml", 4, 1))  # same tag and span, not read yet


def test_a_lazy_node_is_frozen_before_and_after_it_is_read() -> None:
    lazy = _lazy()
    with pytest.raises(dataclasses.FrozenInstanceError):
        lazy.children = ()  # type: ignore[misc]
    assert lazy.children == EAGER.children
    with pytest.raises(dataclasses.FrozenInstanceError):
        lazy.text = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del lazy.tag  # type: ignore[misc]
    assert lazy == EAGER


def test_deepcopy_and_pickle_of_an_unread_lazy_node_stay_lazy_and_equal() -> None:
    for twin in (copy.deepcopy(_lazy()), pickle.loads(pickle.dumps(_lazy()))):
        assert type(twin) is LazyXmlNode and twin._src is not None  # the job's bytes travel, not a built tree
        assert twin == EAGER and hash(twin) == hash(EAGER)
    read = _lazy()
    assert read.attrs == EAGER.attrs
    after = pickle.loads(pickle.dumps(read))  # once read, it pickles as the plain node it is
    assert type(after) is XmlNode and after == EAGER


def test_the_lazy_class_builds_an_eager_node_for_replace() -> None:
    built = LazyXmlNode("t", Span("p"), (("a", "1"),), "text", ())
    assert type(built) is LazyXmlNode and built == XmlNode("t", Span("p"), (("a", "1"),), "text", ())
    changed = dataclasses.replace(_lazy(), text="u")
    assert type(changed) is LazyXmlNode and changed.text == "u" and changed.children == EAGER.children
