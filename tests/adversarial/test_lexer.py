"""Bounded work in the Groovy lexer: a GString of many `${...}` and a line of many escaped quotes, 5 MB each, are
read in linear time (each `${` used to count the lines from the start of the file)."""

from __future__ import annotations

from helpers.bounded import run_bounded

from jenkins2flow.parse.groovy_lexer import tokenize

FIVE_MB = 5 * 1024 * 1024


def test_five_megabytes_of_interpolations_finish() -> None:
    result = run_bounded(f"""
        from jenkins2flow.ir.nodes import Interp
        from jenkins2flow.parse.groovy_lexer import tokenize
        unit = "${{abcdefghijklmnopqrstuvwxyz_0123456789}} "
        text = 'x = "' + unit * ({FIVE_MB} // len(unit)) + '"\\nlast = 1\\n'
        toks, errors = tokenize(text)
        s = next(t for t in toks if t.kind == "str")
        result = [len(text), sum(isinstance(p, Interp) for p in s.value), len(errors), toks[-4].line, toks[-4].col]
    """)
    size, interps, errors, last_line, last_col = result
    assert size > FIVE_MB - 100
    assert interps == FIVE_MB // len("${abcdefghijklmnopqrstuvwxyz_0123456789} ")
    assert errors == 0
    assert (last_line, last_col) == (2, 1)  # positions after the string are still right


def test_five_megabytes_of_escaped_quotes_finish() -> None:
    result = run_bounded(f"""
        from jenkins2flow.parse.groovy_lexer import tokenize
        text = "x = '" + "\\\\'" * ({FIVE_MB} // 2) + "'\\ny = 2\\n"
        toks, errors = tokenize(text)
        s = next(t for t in toks if t.kind == "str")
        result = [len(s.value[0]), len(errors), [t.value for t in toks if t.kind == "id"]]
    """)
    assert result == [FIVE_MB // 2, 0, ["x", "y"]]


def test_positions_after_interpolations_and_errors_are_right() -> None:
    text = 'a = """${x}\n${y}"""\n  b = "${z}" \u0001\n    c'
    toks, errors = tokenize(text)
    where = {t.value: (t.line, t.col) for t in toks if t.kind == "id"}
    assert where == {"a": (1, 1), "b": (3, 3), "c": (4, 5)}
    assert [(e.line, e.col) for e in errors] == [(3, 14)]
    assert not tokenize("s = 'a\\\n\\'b'\nt")[1]  # an escaped newline, then an escaped quote


def test_every_token_position_matches_a_count_from_the_start() -> None:
    pieces = ['x = "${a}"', "\n", 'y = """${b}\n${c}"""', " \u0001 ", "z = /${d}/", "\n  ", 'sh "${e.f} $g.h"',
              "'q\\'r'", "\n\n", '"${ "${i}" }"', " // note\n", "/* a\nb */", "w"]
    text = "".join(pieces[(i * 7) % len(pieces)] for i in range(400))
    toks, errors = tokenize(text)
    assert len(errors) > 10
    for pos, line, col in [(t.start, t.line, t.col) for t in toks[:-1]] + [(e.start, e.line, e.col) for e in errors]:
        assert (line, col) == (text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos)), pos
