"""Raw XmlNodes of the config.xml parser: built on first access, equal to an eager build in every field."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest
from lxml import etree

from jenkins2flow.ir.nodes import Span, XmlNode
from jenkins2flow.ir.to_json import to_jsonable
from jenkins2flow.parse.job_xml import parse_config_xml
from jenkins2flow.parse.xml.common import to_xmlnode
from jenkins2flow.parse.xml.raw import LazyXmlNode

XML = b"""<?xml version='1.1' encoding='UTF-8'?>
<project>
  <!-- a comment before the builders -->
  <builders>
    <hudson.tasks.Shell plugin="x@1.0">
      <command>make &amp;&amp; make test&#xd;
</command>
      <!-- inside -->
      <nested a="1" b="two"><deep>x</deep><deep>y</deep></nested>
    </hudson.tasks.Shell>
    <my.Custom><a><b><c>deep</c></b></a></my.Custom>
  </builders>
  <properties>
    <hudson.model.ParametersDefinitionProperty>
      <parameterDefinitions>
        <hudson.model.StringParameterDefinition>
          <name>P</name>
          <defaultValue>d</defaultValue>
        </hudson.model.StringParameterDefinition>
      </parameterDefinitions>
    </hudson.model.ParametersDefinitionProperty>
  </properties>
  <somethingComplex><x y="z"/></somethingComplex>
</project>
"""


def _eager(tag_path: str) -> XmlNode:
    data = XML.replace(b"version='1.1'", b"version='1.0'", 1)
    root = etree.fromstring(data)
    found = root.find(tag_path)
    assert found is not None
    return to_xmlnode(found, "job.xml")


def _raws(job: object) -> list[XmlNode]:
    out = [p.raw for p in job.builders + job.properties if p.raw is not None]  # type: ignore[attr-defined]
    out += [p.raw for p in job.parameters if p.raw is not None]  # type: ignore[attr-defined]
    return out + list(job.unknown)  # type: ignore[attr-defined]


def test_raw_nodes_are_lazy_and_equal_to_an_eager_build() -> None:
    job = parse_config_xml(XML, "job.xml", "job")
    shell, custom = (b.raw for b in job.builders)
    assert isinstance(shell, LazyXmlNode) and isinstance(custom, LazyXmlNode)
    assert shell.tag == "hudson.tasks.Shell" and shell.span == Span("job.xml", 5, 1)
    assert shell == _eager("builders/hudson.tasks.Shell")
    assert _eager("builders/hudson.tasks.Shell") == shell  # both directions
    assert shell.attrs == (("plugin", "x@1.0"),) and shell.text == ""
    assert shell.findtext("command") == "make && make test\r\n"
    nested = shell.find("nested")
    assert nested is not None and nested.attrs == (("a", "1"), ("b", "two")) and nested.span.line == 9
    assert [(d.tag, d.text, d.span.line) for d in nested.children] == [("deep", "x", 9), ("deep", "y", 9)]
    assert custom == _eager("builders/my.Custom")
    assert custom.find("a").find("b").findtext("c") == "deep"  # type: ignore[union-attr]
    param = job.parameters[0].raw
    assert param == _eager("properties/hudson.model.ParametersDefinitionProperty/parameterDefinitions/"
                           "hudson.model.StringParameterDefinition")
    assert job.unknown[0] == _eager("somethingComplex")
    assert job.unknown[0].children[0].attrs == (("y", "z"),)


def test_raw_nodes_hash_repr_json_like_eager_nodes() -> None:
    lazy = parse_config_xml(XML, "job.xml", "job").builders[0].raw
    eager = _eager("builders/hudson.tasks.Shell")
    assert lazy is not None
    assert hash(lazy) == hash(eager) and {lazy, eager} == {eager}
    assert repr(lazy) == repr(eager) and repr(lazy).startswith("XmlNode(")
    assert to_jsonable(lazy) == to_jsonable(eager)
    assert lazy != _eager("builders/my.Custom")
    assert lazy != "hudson.tasks.Shell"


def test_raw_nodes_are_frozen_and_copy_pickle_and_replace() -> None:
    job = parse_config_xml(XML, "job.xml", "job")
    for node in _raws(job):
        assert pickle.loads(pickle.dumps(node)) == node
        assert copy.deepcopy(node) == node
    node = job.builders[1].raw
    assert node is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        node.text = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        node._src = None  # type: ignore[misc]
    changed = dataclasses.replace(node, text="changed")
    assert changed.text == "changed" and changed.children == node.children and changed != node
    after = pickle.loads(pickle.dumps(node))  # now built: pickles as a plain XmlNode
    assert type(after) is XmlNode and after == node


def test_every_raw_node_of_a_job_reads_the_bytes_once() -> None:
    job = parse_config_xml(XML, "job.xml", "job")
    raws = _raws(job)
    docs = {id(r._src[0]) for r in raws if isinstance(r, LazyXmlNode) and r._src is not None}
    assert len(docs) == 1
    doc = raws[0]._src[0]  # type: ignore[attr-defined]
    assert doc._nodes is None  # nothing read yet
    assert [r.children for r in raws]
    built = doc._nodes
    assert built is not None and all(doc._nodes is built for r in raws if r.text is not None)
