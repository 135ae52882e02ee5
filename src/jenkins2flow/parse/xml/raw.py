"""Raw XmlNodes whose children are built on first access.

Every config.xml element under builders, publishers, properties, triggers, scm... is kept whole as `raw`. Building
a frozen XmlNode for each of the ~60 elements of a job is what made the parser ~10x slower than lxml, and most raw
trees are never read. So a raw node gets its tag, span, attributes and text at once, plus the job's `RawDoc` (the
input bytes, shared by every raw node of the job, not a copy) and its position in the document (child indices from
the root). The first time any raw node of a job is asked for its `children`, the bytes are parsed again through the
same safe path (`safe_fromstring`: same refusals, same XML 1.1 handling, same parser settings) and the XmlNode tree of
the whole document is built once; every raw node of that job then takes its children from it. Lines come from lxml
on the same bytes, so every node is equal to what an eager build gives (`XmlNode.__eq__` compares the five fields
across both classes).
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from typing import Any

from jenkins2flow.ir.nodes import Span, XmlNode

Element = Any  # lxml.etree._Element



def build(el: Element, path: str, spans: dict[int, Span] | None = None,
          out: dict[tuple[int, ...], XmlNode] | None = None, index: tuple[int, ...] = ()) -> XmlNode:
    """An lxml element as an eager XmlNode tree: element children only, whitespace-only text dropped when the
    element has element children. With `out`, every node is also recorded under its child-index path."""
    if spans is None:
        spans = {}
    kids = []
    for i, child in enumerate(el):
        if isinstance(child.tag, str):
            kids.append(build(child, path, spans, out, (*index, i)) if out is not None
                        else build(child, path, spans))
    text = el.text or ""
    if kids and not text.strip():
        text = ""
    line = el.sourceline or 1
    span = spans.get(line)
    if span is None:
        span = spans[line] = Span(path, line, 1)
    node = XmlNode(el.tag, span, tuple(el.items()) if el.attrib else (), text, tuple(kids))
    if out is not None:
        out[index] = node
    return node


class RawDoc:
    """The bytes of one parsed config.xml, turned into XmlNodes (all at once) the first time one is needed."""

    __slots__ = ("data", "path", "_nodes")

    def __init__(self, data: bytes, path: str) -> None:
        self.data = data
        self.path = path
        self._nodes: dict[tuple[int, ...], XmlNode] | None = None

    def node(self, index: tuple[int, ...]) -> XmlNode:
        nodes = self._nodes
        if nodes is None:
            from jenkins2flow.parse.job_xml import safe_fromstring  # job_xml imports this package

            root, notes = safe_fromstring(self.data, self.path, max_bytes=len(self.data))
            if root is None:  # cannot happen: the same bytes parsed a moment ago
                raise RuntimeError(f"{self.path}: the config.xml no longer parses: {notes[0].message if notes else ''}")
            nodes = {}
            build(root, self.path, {}, nodes)
            self._nodes = nodes
        return nodes[index]

    def __reduce__(self) -> tuple[Any, ...]:
        return RawDoc, (self.data, self.path)


class LazyXmlNode(XmlNode):
    """An XmlNode whose attributes, text and children are read on first access, from its job's RawDoc (see the
    module docstring); `tag` and `span` are set at once. Made by `lazy_node`; the constructor takes the XmlNode
    fields (so that `dataclasses.replace` works) and makes an eager node."""

    __slots__ = ("_src",)
    _src: tuple[RawDoc, tuple[int, ...]] | None  # the job's bytes and the element's child-index path

    def __init__(self, tag: str, span: Span, attrs: tuple[tuple[str, str], ...] = (), text: str = "",
                 children: tuple[XmlNode, ...] = ()) -> None:
        _TAG(self, tag)
        _SPAN(self, span)
        _ATTRS(self, attrs)
        _TEXT(self, text)
        _CHILDREN(self, tuple(children))
        _SRC(self, None)

    def _fill(self) -> None:
        assert self._src is not None
        doc, index = self._src
        node = doc.node(index)
        _ATTRS(self, node.attrs)
        _TEXT(self, node.text)
        _CHILDREN(self, node.children)

    @property  # type: ignore[override]
    def attrs(self) -> tuple[tuple[str, str], ...]:
        try:
            return _ATTRS_SLOT.__get__(self, XmlNode)  # type: ignore[no-any-return]
        except AttributeError:
            self._fill()
            return _ATTRS_SLOT.__get__(self, XmlNode)  # type: ignore[no-any-return]

    @property  # type: ignore[override]
    def text(self) -> str:
        try:
            return _TEXT_SLOT.__get__(self, XmlNode)  # type: ignore[no-any-return]
        except AttributeError:
            self._fill()
            return _TEXT_SLOT.__get__(self, XmlNode)  # type: ignore[no-any-return]

    @property  # type: ignore[override]
    def children(self) -> tuple[XmlNode, ...]:
        try:
            return _CHILDREN_SLOT.__get__(self, XmlNode)  # type: ignore[no-any-return]
        except AttributeError:
            self._fill()
            return _CHILDREN_SLOT.__get__(self, XmlNode)  # type: ignore[no-any-return]

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __repr__(self) -> str:
        return repr(XmlNode(self.tag, self.span, self.attrs, self.text, self.children))

    def __reduce__(self) -> tuple[Any, ...]:
        try:
            _CHILDREN_SLOT.__get__(self, XmlNode)
        except AttributeError:  # not read yet: stay lazy (the RawDoc pickles as its bytes and path)
            return _lazy, (self.tag, self.span, self._src)
        return XmlNode, (self.tag, self.span, self.attrs, self.text, self.children)


_new = object.__new__
_TAG = XmlNode.__dict__["tag"].__set__
_SPAN = XmlNode.__dict__["span"].__set__
_ATTRS = XmlNode.__dict__["attrs"].__set__
_TEXT = XmlNode.__dict__["text"].__set__
_CHILDREN = XmlNode.__dict__["children"].__set__
_ATTRS_SLOT = XmlNode.__dict__["attrs"]  # the slots of XmlNode, shadowed in LazyXmlNode by properties
_TEXT_SLOT = XmlNode.__dict__["text"]
_CHILDREN_SLOT = XmlNode.__dict__["children"]
_SRC = LazyXmlNode.__dict__["_src"].__set__


def _lazy(tag: str, span: Span, src: tuple[RawDoc, tuple[int, ...]]) -> LazyXmlNode:
    node = _new(LazyXmlNode)
    _TAG(node, tag)
    _SPAN(node, span)
    _SRC(node, src)
    return node


def index_path(el: Element) -> tuple[int, ...]:
    """The child indices (comments included) leading from the root to `el`."""
    index = []
    parent = el.getparent()
    while parent is not None:
        index.append(parent.index(el))
        el = parent
        parent = el.getparent()
    index.reverse()
    return tuple(index)


def lazy_node(el: Element, span: Span, doc: RawDoc,
              paths: dict[int, tuple[Element, tuple[int, ...]]] | None = None) -> LazyXmlNode:
    """The raw node of `el`: tag and span now, the rest from `doc` on first access. `paths`
    memoizes the index paths of parents (keyed by id, holding the element so that the id stays its own)."""
    parent = el.getparent()
    if parent is None:
        index: tuple[int, ...] = ()
    else:
        hit = paths.get(id(parent)) if paths is not None else None
        if hit is not None and hit[0] is parent:
            base = hit[1]
        else:
            base = index_path(parent)
            if paths is not None:
                paths[id(parent)] = (parent, base)
        index = (*base, parent.index(el))
    return _lazy(el.tag, span, (doc, index))
