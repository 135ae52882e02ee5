"""Split a shell command line into words as `shlex.split` does, in linear time and with a length cap.

`shlex.split` builds each word one character at a time (`token = token + char`), so one long word costs time
quadratic in its length: a 200,000-character quoted argument takes seconds, a few megabytes take hours. `split`
gives the same words and the same errors (POSIX rules, no comments) by scanning runs with regular expressions and
joining the pieces of a word once.
"""

from __future__ import annotations

import re

__all__ = ["MAX_CHARS", "ShellLineTooLong", "split"]

MAX_CHARS = 1_000_000

_BLANKS = re.compile(r"[ \t\r\n]+")  # shlex's whitespace, exactly (not \s: no vertical tab, no Unicode spaces)
_PLAIN = re.compile(r"[^ \t\r\n'\"\\]+")
_IN_DOUBLE = re.compile(r'[^"\\]*')


class ShellLineTooLong(ValueError):
    """The line is above the length cap; like shlex's own errors it is a ValueError."""


def split(line: str, max_chars: int = MAX_CHARS) -> list[str]:
    """The words of `line`, as `shlex.split(line)` gives them; raises ValueError as shlex does ("No closing
    quotation", "No escaped character"), and ShellLineTooLong when `line` is longer than `max_chars`."""
    if len(line) > max_chars:
        raise ShellLineTooLong(f"The command line is {len(line):,} characters long, above the {max_chars:,}-character "
                               "limit for splitting it into words.")
    words: list[str] = []
    pieces: list[str] = []
    in_word = False
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if c in " \t\r\n":
            if in_word:
                words.append("".join(pieces))
                pieces.clear()
                in_word = False
            blanks = _BLANKS.match(line, i)
            assert blanks is not None  # c is a blank
            i = blanks.end()
            continue
        in_word = True
        if c == "'":  # single quotes: everything up to the next one, as is
            end = line.find("'", i + 1)
            if end < 0:
                raise ValueError("No closing quotation")
            pieces.append(line[i + 1 : end])
            i = end + 1
        elif c == '"':  # double quotes: a backslash escapes only `"` and `\`, else it stays
            i += 1
            while True:
                run = _IN_DOUBLE.match(line, i)
                assert run is not None  # `*` always matches
                pieces.append(run.group())
                i = run.end()
                if i >= n:
                    raise ValueError("No closing quotation")
                if line[i] == '"':
                    i += 1
                    break
                if i + 1 >= n:
                    raise ValueError("No escaped character")
                nxt = line[i + 1]
                pieces.append(nxt if nxt in '"\\' else "\\" + nxt)
                i += 2
        elif c == "\\":  # outside quotes a backslash takes the next character as is
            if i + 1 >= n:
                raise ValueError("No escaped character")
            pieces.append(line[i + 1])
            i += 2
        else:
            run = _PLAIN.match(line, i)
            assert run is not None  # c is none of the characters it stops at
            pieces.append(run.group())
            i = run.end()
    if in_word:
        words.append("".join(pieces))
    return words
