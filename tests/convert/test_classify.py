"""Classification signals are found as a case-insensitive search of each pattern would find them: the shortcuts
(needles, a lower-cased ASCII view of the text, the pattern without its \\b scanned first) never change an answer."""

from __future__ import annotations

import random
import re
import sys

import pytest

from jenkins2flow.convert.classify import _CICD, _DATA, FOLDED, Signal, ascii_view

SIGNALS = [*_DATA, *_CICD]
WORDS = ["Select  *", "insert\tINTO", "docker push", "docker.build(", "mvn -B deploy", "mvn\nrelease:", "Kubectl",
         "xkubectl", "go  build", "GO build", "data-lake", "data\u00e9lake", "a.csv", "x.CSVx", "s3://b",
         "python3 a/b.py", "pytest", "\u00e9Test", "ATest", "dbt\u00a0run", "spark-submit", "pyspark", "npm publish",
         "git push", "git\u2028tag", "helm upgrade", "terraform", "ansible-playbook", "ant", "cargo", "\u212aubectl",
         "\u017felect *", "\u0130nsert into", "\u65e5\u672c", "\u00e9", "\u00fc", "\u00a0", "_", "-", ".", "\n", " ",
         "x", "q", "z", "#"]


def _texts(seed: int, n: int) -> list[str]:
    rnd = random.Random(seed)
    return ["".join(rnd.choice(WORDS) for _ in range(rnd.randint(1, 10))) for _ in range(n)]


@pytest.mark.parametrize("signal", SIGNALS, ids=[s.name for s in SIGNALS])
def test_each_signal_is_found_as_a_case_insensitive_search_finds_it(signal: Signal) -> None:
    for text in _texts(hash(signal.name) % 1000, 1500) + WORDS:
        assert signal.found(text, ascii_view(text)) == (signal.anycase.search(text) is not None), repr(text)


def test_every_match_begins_with_a_needle() -> None:
    for signal in SIGNALS:
        for text in _texts(5, 400):
            low = ascii_view(text)
            if low is None:
                continue
            for at in range(len(low)):
                if signal.exact.match(low, at):
                    assert any(low.startswith(n, at) for n in signal.needles), (signal.name, low[at:at + 20])


def test_the_stand_ins_for_non_ascii_characters_keep_what_the_patterns_see() -> None:
    """Over every code point: re's \\w and \\s are str.isalnum (or _) and str.isspace, and case-insensitive matching
    folds only the FOLDED letters into ASCII ones; so a text without those is searched the same through its view."""
    letters = re.compile("[a-z]", re.I)
    word, space = re.compile(r"\w"), re.compile(r"\s")
    for code in range(0x80, sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF:
            continue
        c = chr(code)
        assert (word.match(c) is not None) == (c.isalnum() or c == "_"), hex(code)
        assert (space.match(c) is not None) == c.isspace(), hex(code)
        assert (letters.match(c) is not None) == (c in FOLDED), hex(code)
    assert ascii_view("Kubectl \u00e9t\u00e9\u00a0!") == "kubectl ztz !" and ascii_view("\u212aubectl") is None
