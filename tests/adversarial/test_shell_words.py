"""Bounded work splitting shell lines: `shell_words.split` gives what `shlex.split` gives, in linear time (shlex
builds a word one character at a time, quadratic in its length), and refuses a line above its cap."""

from __future__ import annotations

import random
import shlex

import pytest
from helpers.bounded import run_bounded

from jenkins2flow.shell_words import MAX_CHARS, ShellLineTooLong, split


def _shlex(line: str) -> list[str] | str:
    try:
        return shlex.split(line)
    except ValueError as exc:
        return f"ValueError: {exc}"


def _ours(line: str) -> list[str] | str:
    try:
        return split(line)
    except ValueError as exc:
        return f"ValueError: {exc}"


@pytest.mark.parametrize("line", [
    "", "  ", "psql -c 'select 1' -d db", 'bq query --use_legacy_sql=false "select \\"x\\" from t"', "a''b", "''",
    "a '' b", 'a""', "a\\ b", "a\\\nb", '"a\\\nb"', '"a\\$b"', '"\\\\"', '\\"', "x#y # z", "a\x0bb", "a\u00a0b",
    '"abc\\', "a\\", '"a', "'a", "tab\tsep\r\nlines", "mixed'single'\"double\"plain",
])
def test_same_words_and_errors_as_shlex(line: str) -> None:
    assert _ours(line) == _shlex(line)


def test_same_as_shlex_on_random_lines() -> None:
    rng = random.Random(14)
    alphabet = ["a", "b", " ", "\t", "\n", "'", '"', "\\", "#", "$", "=", "-", "é"]
    for _ in range(3000):
        line = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 24)))
        assert _ours(line) == _shlex(line), repr(line)


def test_a_line_above_the_cap_is_refused_with_a_value_error() -> None:
    with pytest.raises(ShellLineTooLong, match="above the 1,000,000-character limit") as info:
        split("x" * (MAX_CHARS + 1))
    assert isinstance(info.value, ValueError)  # callers that catch shlex's errors catch this one too
    assert split("x" * 10, max_chars=10) == ["x" * 10]


def test_five_megabyte_words_finish() -> None:
    words = run_bounded("""
        from jenkins2flow.shell_words import split
        quoted = "psql -c '" + "s" * 2_500_000 + "' " + '"' + 'd\\\\"' * 800_000 + '"'
        words = split(quoted, max_chars=10_000_000)
        result = [len(quoted), [len(w) for w in words], words[3][:3]]
    """)
    size, lengths, head = words
    assert size > 4_900_000
    assert lengths == [4, 2, 2_500_000, 1_600_000]
    assert head == "d\"d"
