from __future__ import annotations

import pytest

from jenkins2flow.ir.nodes import Interp
from jenkins2flow.parse.groovy_lexer import decode_escapes, tokenize


def kinds(src: str) -> list[str]:
    toks, errors = tokenize(src)
    assert not errors
    return [t.kind for t in toks]


def strings(src: str) -> list[tuple[object, ...]]:
    toks, errors = tokenize(src)
    assert not errors, errors
    return [t.value for t in toks if t.kind == "str"]


def test_identifiers_numbers_and_positions() -> None:
    toks, _ = tokenize("def x = 42\n  y = 1.5e3")
    assert [(t.kind, t.value) for t in toks[:4]] == [("id", "def"), ("id", "x"), ("=", "="), ("num", 42)]
    y = toks[4]
    assert (y.value, y.line, y.col, y.nl) == ("y", 2, 3, True)
    assert toks[6].value == 1500.0
    assert toks[1].nl is False


@pytest.mark.parametrize(
    "op", ["?.", "?:", "*.", "..", "..<", "<=>", "=~", "==~", "->", "::", "&&", "||", "++", "**", "!=", "+="]
)
def test_operators(op: str) -> None:
    toks, _ = tokenize(f"a {op} b")
    assert toks[1].kind == op


def test_range_is_not_a_float() -> None:
    assert kinds("1..5") == ["num", "..", "num", "eof"]


def test_comments_and_shebang_are_skipped_but_newlines_count() -> None:
    toks, _ = tokenize("#!/usr/bin/env groovy\na // c\n/* x\n y */ b /* z */ c")
    assert [t.value for t in toks if t.kind == "id"] == ["a", "b", "c"]
    b = [t for t in toks if t.value == "b"][0]
    c = [t for t in toks if t.value == "c"][0]
    assert b.nl and not c.nl
    assert b.line == 4


def test_single_and_triple_single_quoted_strings_have_no_interpolation() -> None:
    assert strings(r"'a $b \n c'") == [("a $b \n c",)]
    assert strings("'''line1\n  ${x} \\$HOME\n'''") == [("line1\n  ${x} $HOME\n",)]


def test_triple_quote_line_continuation() -> None:
    assert strings("'''a \\\nb'''") == [("a b",)]


def test_gstring_interpolation_forms() -> None:
    (parts,) = strings(r'"echo ${params.X} $env.BRANCH_NAME. \$HOME"')
    assert parts == ("echo ", Interp("params.X"), " ", Interp("env.BRANCH_NAME"), ". $HOME")


def test_gstring_nested_braces_and_strings() -> None:
    (parts,) = strings('"a ${ [x: 1].collect { "${it.key}}" }.join(",") } b"')
    assert parts[0] == "a " and parts[2] == " b"
    assert parts[1] == Interp('[x: 1].collect { "${it.key}}" }.join(",")')


def test_triple_double_quoted_gstring_keeps_text_exactly() -> None:
    (parts,) = strings('"""\n  make ${T} \\\\\n  -j2 "q"\n"""')
    assert parts == ("\n  make ", Interp("T"), " \\\n  -j2 \"q\"\n")


def test_slashy_and_dollar_slashy() -> None:
    assert strings(r"x = /a\/b\d+/") == [("a/b\\d+",)]
    assert strings("x = $/a\\b $$ $/ /$") == [("a\\b $ / ",)]
    (parts,) = strings("if (x =~ /^v${ver}$/) {}")
    assert parts == ("^v", Interp("ver"), "$")


def test_division_is_not_a_slashy_string() -> None:
    assert kinds("a / b / c") == ["id", "/", "id", "/", "id", "eof"]
    assert kinds("f(x) / 2") == ["id", "(", "id", ")", "/", "num", "eof"]


def test_decode_escapes() -> None:
    assert decode_escapes(r"\t\u0041\101\$\'\\") == "\tAA$'\\"
    assert decode_escapes("no escapes") == "no escapes"


@pytest.mark.parametrize("src", ["'abc", '"abc', "'''abc", '"""abc ${x', "/* never", "a \u0000 b", "$/abc"])
def test_errors_never_raise(src: str) -> None:
    toks, errors = tokenize(src)
    assert toks[-1].kind == "eof"
    assert errors or any(t.kind == "err" for t in toks)
