"""Shared pieces of the config.xml handlers: the context, spans, raw nodes, and the declarative field tables.

A handler reads one lxml element and returns an IR node; it does no I/O and reports problems through `Ctx`.
Simple fields are described by tables of `F(key, path, conv, default)` entries (jenkins-job-builder's
`(yaml-key, xml-tag, default)` run in reverse); only the irregular shapes need code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from jenkins2flow.ir.nodes import Diagnostic, Level, Span, Value, XmlNode
from jenkins2flow.parse.xml.raw import RawDoc, _lazy, build, lazy_node

Element = Any  # lxml.etree._Element; kept loose so the handlers stay readable


@dataclass(slots=True)
class Ctx:
    """What a handler needs besides its element: the file path, and a place to put diagnostics.

    It also memoizes spans (one per line) and raw nodes (one per element, so an element kept raw both inside its
    parent and on its own, like a parameter inside its property, is converted once). With `doc` (the bytes the
    element tree was parsed from), raw nodes build their children on first access (`parse.xml.raw`)."""

    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    doc: RawDoc | None = None
    blanks: bool = False  # True when the tree was parsed without its blank text (see `own_text`)
    _spans: dict[int, Span] = field(default_factory=dict)
    _raw: dict[int, tuple[Element, XmlNode]] = field(default_factory=dict)
    _paths: dict[int, tuple[Element, tuple[int, ...]]] = field(default_factory=dict)  # parents' index paths

    def span(self, el: Element) -> Span:
        line = el.sourceline or 1
        span = self._spans.get(line)
        if span is None:
            span = self._spans[line] = Span(self.path, line, 1)
        return span

    def report(self, level: Level, message: str, el: Element | None = None, code: str = "") -> None:
        span = self.span(el) if el is not None else Span(self.path)
        self.diagnostics.append(Diagnostic(level, message, span, code=code))

    def raw(self, el: Element, span: Span | None = None, index: tuple[int, ...] | None = None) -> XmlNode:
        """The element as a frozen XmlNode, whole (attributes, text, children, lines); `span` is `self.span(el)`
        and `index` its child-index path from the root (`path_of`) when the caller has them already. With `doc`, a
        lazy node (cheap: nothing to memoize)."""
        if self.doc is not None:
            if index is not None:
                return _lazy(el.tag, span or self.span(el), (self.doc, index))
            return lazy_node(el, span or self.span(el), self.doc, self._paths)
        hit = self._raw.get(id(el))
        if hit is not None and hit[0] is el:
            return hit[1]
        node = build(el, self.path, self._spans)
        self._raw[id(el)] = (el, node)  # keeping `el` keeps its proxy, hence its id, alive
        return node

    def path_of(self, el: Element) -> tuple[int, ...]:
        """The child indices (comments included) from the root to `el`, memoized like the parents' paths of
        raw nodes."""
        hit = self._paths.get(id(el))
        if hit is not None and hit[0] is el:
            return hit[1]
        parent = el.getparent()
        index = () if parent is None else (*self.path_of(parent), parent.index(el))
        self._paths[id(el)] = (el, index)
        return index


class BlankTextRemoved(BaseException):  # noqa: N818 - a signal, not an error: it must pass `except Exception`
    """Raised by `own_text` when the tree lacks blank text that a handler asked for; `job_xml` then reads the
    document again with the blank text kept. A BaseException, so that the handlers' `except Exception` (which
    keeps an element raw when its handler fails) lets it through."""


def own_text(el: Element, ctx: Ctx) -> str:
    """`el.text or ""` as the usual parser gives it. When blank text was removed (`ctx.blanks`), an element with
    children whose text is None may have had whitespace there: that raises BlankTextRemoved. A leaf always keeps
    its text (libxml2 never drops whitespace right before an end tag of an element without children)."""
    value = el.text
    if value is None:
        if ctx.blanks and len(el):
            raise BlankTextRemoved
        return ""
    return value


def elements(el: Element) -> Iterator[Element]:
    """The element children of `el`, skipping comments and processing instructions."""
    return iter([child for child in el[:] if child.tag.__class__ is str])


def first_children(el: Element) -> dict[str, Element]:
    """Each element child's tag -> the first element child with that tag (what `el.find(tag)` returns)."""
    out: dict[str, Element] = {}
    for child in el[:]:
        tag = child.tag
        if tag.__class__ is str and tag not in out:
            out[tag] = child
    return out


def to_xmlnode(el: Element, path: str) -> XmlNode:
    """An lxml element as a frozen XmlNode, whole (attributes, text, children, lines)."""
    return Ctx(path).raw(el)


# ---- value converters ------------------------------------------------------------------------------------------

Conv = Callable[[Element, Ctx], Value]


def text(el: Element, ctx: Ctx) -> Value:
    return own_text(el, ctx)


def stripped(el: Element, ctx: Ctx) -> Value:
    return (el.text or "").strip()


def flag(el: Element, ctx: Ctx) -> Value:
    value = (el.text or "").strip().lower()
    if value in ("true", "false"):
        return value == "true"
    raw = own_text(el, ctx)  # first: once it has not raised, `el.text` is what the usual tree has
    ctx.report("warning", f"Expected true or false in <{el.tag}>, found {el.text!r}; kept as text.", el)
    return raw


def integer(el: Element, ctx: Ctx) -> Value:
    value = (el.text or "").strip()
    try:
        return int(value)
    except ValueError:
        if value:
            ctx.report("warning", f"Expected a whole number in <{el.tag}>, found {value!r}; kept as text.", el)
        return value


def strings(el: Element, ctx: Ctx) -> Value:
    """`<x><string>a</string><string>b</string></x>` (any child tag) -> ("a", "b")."""
    return tuple((c.text or "").strip() for c in elements(el))


def csv(el: Element, ctx: Ctx) -> Value:
    """`a, b,c` -> ("a", "b", "c")."""
    return tuple(p.strip() for p in (el.text or "").split(",") if p.strip())


def words(el: Element, ctx: Ctx) -> Value:
    """Whitespace- or comma-separated list (mail recipients)."""
    return tuple(p for p in (el.text or "").replace(",", " ").split() if p)


def class_name(el: Element, ctx: Ctx) -> Value:
    """The `class` attribute, else the tag: the Java class an element stands for."""
    return el.get("class") or el.tag


def record(el: Element, ctx: Ctx) -> Value:
    """An element as a dict: `class` (its class attribute or tag) plus its generic fields."""
    out: dict[str, Value] = {"class": el.get("class") or el.tag}
    out.update(generic_fields(el))
    return out


def records(el: Element, ctx: Ctx) -> Value:
    """Each child as a `record`."""
    return tuple(record(c, ctx) for c in elements(el))


def threshold(el: Element, ctx: Ctx) -> Value:
    """`<threshold><name>SUCCESS</name>...</threshold>` -> "SUCCESS"."""
    name = child(el, "name")
    return (name.text or "").strip() if name is not None else (el.text or "").strip()


# ---- tables -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class F:
    """One field of a table: IR key, XML path below the element (default: the key), converter, default."""

    key: str
    path: str = ""
    conv: Conv = text
    default: Value = None


Table = tuple[F, ...]


def apply_table(el: Element, table: Table, ctx: Ctx, kids: dict[str, Element] | None = None,
                texts: dict[str, str] | None = None, out: dict[str, Value] | None = None) -> dict[str, Value]:
    """Run `table` on `el`. `kids` is `first_children(el)` when the caller has it already; a single tag is looked
    up there (lxml's `find` costs microseconds per call), a path with `/` goes through `find`. `texts` (from
    `generic_fields`) holds the text of first children that are leaves, so that the common converters need not
    ask lxml for it again. With `out`, the values go there (`out.update(apply_table(...))` without the dict in
    between: the table reads `texts` and `kids`, never `out`) and `out` is returned."""
    if out is None:
        out = {}
    if kids is None:
        kids = first_children(el)
    for spec in table:
        path = spec.path or spec.key
        if texts is not None and path in texts:
            conv = spec.conv
            if conv is text:
                out[spec.key] = texts[path]
                continue
            if conv is flag:
                value = texts[path].strip().lower()
                if value == "true" or value == "false":
                    out[spec.key] = value == "true"
                    continue
            elif conv is integer:
                try:
                    out[spec.key] = int(texts[path].strip())
                    continue
                except ValueError:
                    pass
            elif conv is stripped:
                out[spec.key] = texts[path].strip()
                continue
        found = _find_path(el, path) if "/" in path else kids.get(path)
        if found is None:
            if spec.default is not None:
                out[spec.key] = spec.default
            continue
        out[spec.key] = spec.conv(found, ctx)
    return out


_PATH_PARTS: dict[str, tuple[str, ...]] = {}


def _find_path(el: Element, path: str) -> Element | None:
    """`el.find(path)` for a path of plain tags joined by `/` (lxml's ElementPath costs microseconds per call):
    the first match in document order, i.e. depth first through every child that matches each step."""
    parts = _PATH_PARTS.get(path)
    if parts is None:
        parts = _PATH_PARTS[path] = tuple(path.split("/"))
    return _find_parts(el, parts, 0)


def _find_parts(el: Element, parts: tuple[str, ...], i: int) -> Element | None:
    tag = parts[i]
    last = i + 1 == len(parts)
    for c in el[:]:
        if c.tag == tag:
            if last:
                return c
            found = _find_parts(c, parts, i + 1)
            if found is not None:
                return found
    return None


def generic_fields(el: Element, kids_out: dict[str, Element] | None = None,
                   texts_out: dict[str, str] | None = None) -> dict[str, Value]:
    """The generic rule: leaf children -> their text; a child whose children are all leaves of one tag (a
    `<string>` list) -> a tuple of texts. Anything deeper stays in the raw node only. With `kids_out`, also fills
    it as `first_children(el)` would (one walk instead of two); with `texts_out`, the text (`el.text or ""`) of
    each first child of its tag that is a leaf, for `apply_table`. An empty leaf with a `reference` attribute
    (XStream's back-reference, which never has text) has no value of its own."""
    out: dict[str, Value] = {}
    if kids_out is None:
        kids_out = {}
    for child in el[:]:  # a slice costs a fraction of lxml's child iterator
        tag = child.tag
        if tag in kids_out:  # a later child of its tag: a value only if the first one had none
            if tag in out:
                continue
            first = False
        elif tag.__class__ is str:
            kids_out[tag] = child
            first = True
        else:  # a comment or processing instruction
            continue
        if len(child):
            kids = [k for k in child[:] if k.tag.__class__ is str]
            if kids:
                head = kids[0].tag
                for k in kids:
                    if len(k) or k.tag != head:
                        break
                else:
                    out[tag] = tuple([(k.text or "").strip() for k in kids])
                continue
        value = child.text
        if value is None:
            if child.get("reference") is not None:  # only an empty element can be an XStream back-reference
                continue
            value = ""
        out[tag] = value
        if first and texts_out is not None:
            texts_out[tag] = value
    return out


def short_class(name: str) -> str:
    """`hudson.plugins.build__timeout.impl.AbsoluteTimeOutStrategy` -> `AbsoluteTimeOutStrategy`."""
    return name.rsplit(".", 1)[-1].rsplit("$", 1)[-1].rsplit("_-", 1)[-1]


def child(el: Element, tag: str) -> Element | None:
    """The first element child with this exact tag: `el.find(tag)` for a plain tag, without the microseconds
    lxml's ElementPath spends on each call."""
    for c in el[:]:
        if c.tag == tag:
            return c
    return None


def child_own_text(el: Element, tag: str, ctx: Ctx) -> str:
    """`child_text(el, tag)` through `own_text`: for a caller that tells whitespace from no text (`x or default`
    before a strip)."""
    found = child(el, tag)
    return "" if found is None else own_text(found, ctx)


def child_text(el: Element, tag: str, default: str = "") -> str:
    found = child(el, tag)
    if found is None:
        return default
    return found.text or ""


def parse_bool(value: str, default: bool) -> bool:
    value = value.strip().lower()
    if value == "true":
        return True
    if value == "false":
        return False
    return default


def is_element(node: object) -> bool:
    return isinstance(node, etree._Element) and isinstance(node.tag, str)
