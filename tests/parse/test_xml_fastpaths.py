"""The config.xml parser's fast paths give what the plain forms they replace give."""

from __future__ import annotations

import random

from lxml import etree

from jenkins2flow.parse.job_xml import _has_bang_markup, parse_config_xml
from jenkins2flow.parse.xml.common import _find_path


def test_bang_scan_matches_the_plain_form() -> None:
    rng = random.Random(1)
    pieces = [b"<", b"!", b"a", b"&#", b"x1;", b"5;", b"&#x1b;", b"&#27;", b";", b"&#12;", b"&#x0;", b"!!!!!!!!", b"&",
              b"#"]
    for _ in range(20_000):
        data = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        assert _has_bang_markup(data) == (b"<!" in data), data
    assert _has_bang_markup(b"!" * 100 + b"<!DOCTYPE")


def test_find_path_is_lxml_find() -> None:
    rng = random.Random(3)

    def tree(depth: int) -> etree._Element:
        el = etree.Element(rng.choice("abc"))
        for _ in range(rng.randint(0, 3) if depth else 0):
            if rng.random() < 0.15:
                el.append(etree.Comment("x"))
            el.append(tree(depth - 1))
        return el

    for _ in range(3_000):
        root = tree(4)
        for path in ("a/b", "b/a/c", "a/a", "c/b/a", "a/b/c/a"):
            assert _find_path(root, path) is root.find(path), path


def _fields(xml: str, encoding: str) -> tuple[tuple[str, object], ...]:
    data = f"<?xml version='1.0' encoding='{encoding}'?>{xml}".encode(encoding)
    return parse_config_xml(data, "config.xml", "job").builders[0].fields


def test_reference_leaves_have_no_value_in_any_encoding() -> None:
    xml = "<project><builders><foo.Bar><a reference='../x'/><b>1</b></foo.Bar></builders></project>"
    for encoding in ("utf-8", "utf-16", "iso-8859-1"):
        assert _fields(xml, encoding) == (("b", "1"),), encoding
    plain = "<project><builders><foo.Bar><a>reference</a><b/></foo.Bar></builders></project>"
    assert _fields(plain, "utf-8") == (("a", "reference"), ("b", ""))
    assert _fields(plain.replace("reference", "x"), "utf-8") == (("a", "x"), ("b", ""))
