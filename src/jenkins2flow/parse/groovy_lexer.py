"""A lexer for the Groovy that Jenkinsfiles use.

It turns source text into `Token`s carrying their kind, value, offsets, line/column and whether a newline
came before them (newlines end statements in Groovy). Strings are decoded here: every string form becomes one
`str` token whose value is a tuple of parts, literal text (escapes applied) and `Interp` references.

| kind    | value                                                         |
|---------|---------------------------------------------------------------|
| `id`    | identifier or keyword (`def`, `if`, `sh`, `_`...)             |
| `num`   | int or float                                                  |
| `str`   | tuple of parts: str and `Interp`; `Token.quote` says the form |
| `eof`   | end of input                                                  |
| `err`   | a character or construct that cannot be read; value = message |
| the operator itself (`(`, `?.`, `==~`...)  | the operator                   |

The lexer never raises: problems become `err` tokens and `LexError`s in `Lexer.errors`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jenkins2flow.ir.nodes import Interp

__all__ = ["Token", "LexError", "Lexer", "tokenize", "decode_escapes"]


class Token:
    __slots__ = ("kind", "value", "start", "end", "line", "col", "nl", "quote")

    def __init__(
        self, kind: str, value: object, start: int, end: int, line: int, col: int, nl: bool, quote: str = ""
    ) -> None:
        self.kind = kind
        self.value = value
        self.start = start
        self.end = end
        self.line = line
        self.col = col
        self.nl = nl  # a newline separates this token from the previous one
        self.quote = quote  # for strings: ' " ''' \"\"\" / $/

    def __repr__(self) -> str:
        return f"Token({self.kind!r}, {self.value!r}, {self.line}:{self.col}{', nl' if self.nl else ''})"


@dataclass(frozen=True, slots=True)
class LexError:
    message: str
    start: int
    line: int
    col: int


# Longest operators first.
_OPS = [
    ">>>=", "<=>", "==~", "===", "!==", "**=", "<<=", "..<", "...",
    "?.", "?:", "*.", ".&", "..", "->", "::", "==", "!=", "<=", ">=", "&&", "||", "++", "--",
    "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "=~", "**", "<<",
    "(", ")", "{", "}", "[", "]", ";", ",", ".", ":", "?", "=", "<", ">", "+", "-", "*", "/", "%",
    "!", "~", "&", "|", "^", "@",
]  # fmt: skip

_SKIP = re.compile(r"(?:[ \t\f\r]+|\\\r?\n|//[^\n]*|/\*.*?\*/)+", re.S)
_IDENT = re.compile(r"(?:[^\W\d]|\$)(?:\w|\$)*")
_NUMBER = re.compile(
    r"0[xX][0-9a-fA-F_]+[lLgGiI]?|0[bB][01_]+[lLgGiI]?|"
    r"\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][+-]?\d+)?[gGlLiIdDfF]?|\.\d[\d_]*(?:[eE][+-]?\d+)?[dDfFgG]?"
)
_OP = re.compile("|".join(re.escape(o) for o in _OPS))
_IDENT_START = re.compile(r"[^\W\d]")
_PATH = re.compile(r"[^\W\d]\w*(?:\.[^\W\d]\w*)*")

# Tokens after which a `/` is division; anywhere else it starts a slashy string.
_VALUE_END_KINDS = ("id", "num", "str", ")", "]", "}")
_VALUE_END_KEYWORDS = {"return", "in", "case", "else", "assert", "throw", "new", "as", "instanceof", "and", "yield"}

_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", "s": " ", '"': '"', "'": "'", "\\": "\\", "$": "$"}
_ESCAPE_RE = re.compile(r"\\(?:u+([0-9a-fA-F]{4})|([0-3]?[0-7]{1,2})|(\r?\n)|(.))", re.S)


def _escape_sub(m: re.Match[str]) -> str:
    if m.group(1):
        return chr(int(m.group(1), 16))
    if m.group(2):
        return chr(int(m.group(2), 8))
    if m.group(3):
        return ""  # line continuation
    c = m.group(4)
    return _ESCAPES.get(c, "\\" + c)


def decode_escapes(raw: str) -> str:
    """Apply Groovy string escapes (`\\n`, `\\$`, `\\u0041`, octal, line continuation) to `raw`."""
    if "\\" not in raw:
        return raw
    return _ESCAPE_RE.sub(_escape_sub, raw)


def _slashy_sub(raw: str) -> str:
    return raw.replace("\\/", "/").replace("\\\n", "") if "\\" in raw else raw


def _dollar_slashy_sub(raw: str) -> str:
    return raw.replace("$$", "$").replace("$/", "/") if "$" in raw else raw


class Lexer:
    def __init__(self, text: str) -> None:
        self.src = text
        self.n = len(text)
        self.errors: list[LexError] = []
        self.tokens: list[Token] = []
        self._depth = 0
        self._mark = (0, 1, 0)  # (position, its line, the start of that line) of the last `_line_at` answer

    # -- position helpers ------------------------------------------------------------------------------------
    def _line_at(self, pos: int) -> tuple[int, int]:
        """The line of `pos` and where that line starts, counted from the last position asked: the lexer asks in
        nearly increasing order (each `${` and each error), so the work stays linear in the input, where counting
        from the start every time made a file of many `${...}` or errors quadratic."""
        src = self.src
        mark, line, start = self._mark
        if pos >= mark:
            k = src.count("\n", mark, pos)
            if k:
                line += k
                start = src.rfind("\n", mark, pos) + 1
        else:
            k = src.count("\n", pos, mark)
            if k:
                line -= k
                start = src.rfind("\n", 0, pos) + 1
        self._mark = (pos, line, start)
        return line, start

    def _linecol(self, pos: int) -> tuple[int, int]:
        line, start = self._line_at(pos)
        return line, pos - start + 1

    def _error(self, message: str, pos: int) -> None:
        line, col = self._linecol(pos)
        self.errors.append(LexError(message, pos, line, col))

    # -- main loop -------------------------------------------------------------------------------------------
    def tokenize(self) -> list[Token]:
        src = self.src
        pos = 0
        if src.startswith("#!"):
            nlp = src.find("\n")
            pos = self.n if nlp < 0 else nlp
        if src.startswith("\ufeff"):
            pos = 1
        self._run(pos, self.tokens, stop_at_brace=False)
        return self.tokens

    def _run(self, pos: int, out: list[Token], stop_at_brace: bool) -> int:
        """Tokenize from `pos`; with `stop_at_brace`, stop after the `}` closing an interpolation and return the
        position after it (tokens go to `out`, a scratch list)."""
        src = self.src
        n = self.n
        line, line_start = self._line_at(pos)
        nl = True
        depth = 0
        skip_match = _SKIP.match
        ident_match = _IDENT.match
        op_match = _OP.match
        prev_kind = ""  # kind of the previous token, for the slashy-string decision
        prev_value: object = None
        while True:
            # whitespace, comments and newlines
            while pos < n:
                c = src[pos]
                if c == "\n":
                    nl = True
                    line += 1
                    pos += 1
                    line_start = pos
                    continue
                if c in " \t\r\f\\/":
                    m = skip_match(src, pos)
                    if m is None:
                        if c == "/" and src.startswith("/*", pos):  # unterminated block comment
                            self._error("This block comment is never closed with '*/'.", pos)
                            pos = n
                        break
                    end = m.end()
                    k = src.count("\n", pos, end)
                    if k:
                        if k > src.count("\\\n", pos, end):
                            nl = True
                        line += k
                        line_start = src.rfind("\n", pos, end) + 1
                    pos = end
                    continue
                break
            if pos >= n:
                if stop_at_brace:
                    return -1
                out.append(Token("eof", None, n, n, line, pos - line_start + 1, True))
                return n
            c = src[pos]
            start = pos
            col = pos - line_start + 1
            if c.isalpha() or c == "_" or (c == "$" and not src.startswith("$/", pos)) or c.isidentifier():
                m = ident_match(src, pos)
                if m is None:  # a lone non-identifier unicode char
                    out.append(Token("err", f"Unexpected character {c!r}.", pos, pos + 1, line, col, nl))
                    self._error(f"Unexpected character {c!r}.", pos)
                    pos += 1
                    nl = False
                    continue
                pos = m.end()
                tok = Token("id", m.group(), start, pos, line, col, nl)
            elif ("0" <= c <= "9" or (c == "." and prev_kind != "id")) and (m := _NUMBER.match(src, pos)):
                pos = m.end()
                tok = Token("num", _number(m.group()), start, pos, line, col, nl)
            elif c == "'" or c == '"':
                tok, pos = self._string(pos, line, col, nl)
            elif c == "$":  # "$/" dollar-slashy
                tok, pos = self._slashy(pos, line, col, nl, dollar=True)
            elif c == "/" and not (
                prev_kind in _VALUE_END_KINDS and not (prev_kind == "id" and prev_value in _VALUE_END_KEYWORDS)
            ):
                tok, pos = self._slashy(pos, line, col, nl, dollar=False)
            else:
                m = op_match(src, pos)
                if m is None:
                    msg = f"Unexpected character {c!r}."
                    self._error(msg, pos)
                    out.append(Token("err", msg, pos, pos + 1, line, col, nl))
                    pos += 1
                    nl = False
                    continue
                op = m.group()
                pos = m.end()
                if stop_at_brace:
                    if op == "{":
                        depth += 1
                    elif op == "}":
                        if depth == 0:
                            return pos
                        depth -= 1
                tok = Token(op, op, start, pos, line, col, nl)
            # account for newlines inside the token (multi-line strings)
            if tok.kind == "str":
                k = src.count("\n", start, pos)
                if k:
                    line += k
                    line_start = src.rfind("\n", start, pos) + 1
            out.append(tok)
            prev_kind = tok.kind
            prev_value = tok.value
            nl = False

    # -- strings ---------------------------------------------------------------------------------------------
    def _string(self, pos: int, line: int, col: int, nl: bool) -> tuple[Token, int]:
        src = self.src
        q = src[pos]
        triple = src.startswith(q * 3, pos)
        quote = q * 3 if triple else q
        body = pos + len(quote)
        if q == "'":
            end = self._find_close(body, quote, triple)
            if end < 0:
                self._error(f"This string starting with {quote} is never closed.", pos)
                raw = src[body:]
                stop = self.n
            else:
                raw = src[body:end]
                stop = end + len(quote)
            text = decode_escapes(raw)
            return Token("str", (text,) if text else (), pos, stop, line, col, nl, quote), stop
        parts, stop = self._gstring(body, quote, triple, pos)
        return Token("str", parts, pos, stop, line, col, nl, quote), stop

    def _find_close(self, pos: int, quote: str, triple: bool) -> int:
        src = self.src
        q = quote[0]
        eol = -1 if triple else src.find("\n", pos)  # once per line: many escaped quotes on a line stay linear
        while True:
            if 0 <= eol < pos:  # past an escaped newline
                eol = src.find("\n", pos)
            i = src.find(q, pos) if triple else _next_of(src, pos, q, eol)
            if i < 0:
                return -1
            # count preceding backslashes
            b = i - 1
            while b >= pos and src[b] == "\\":
                b -= 1
            escaped = (i - 1 - b) % 2 == 1
            if not triple:
                if escaped:
                    pos = i + 1
                    continue
                if src[i] == "\n":
                    return -1
                if escaped:
                    pos = i + 1
                    continue
                return i
            if escaped:
                pos = i + 1
                continue
            if src.startswith(quote, i):
                # '''' : the closing delimiter is the last three quotes of a run
                j = i + 3
                while j < self.n and src[j] == q:
                    j += 1
                return j - 3
            pos = i + 1

    def _gstring(self, pos: int, quote: str, triple: bool, open_pos: int) -> tuple[tuple[str | Interp, ...], int]:
        """Read a double-quoted string body from `pos`; returns its parts and the position after the quote."""
        src = self.src
        n = self.n
        parts: list[str | Interp] = []
        buf_start = pos
        i = pos
        chunks: list[str] = []
        while True:
            j = _next_special(src, i, triple)
            if j < 0 or (not triple and src[j] == "\n"):
                self._error(f"This string starting with {quote} is never closed.", open_pos)
                chunks.append(src[buf_start : n if j < 0 else j])
                _flush(chunks, parts)
                return tuple(parts), (n if j < 0 else j)
            c = src[j]
            if c == "\\":
                i = j + 2
                continue
            if c == '"':
                if not triple:
                    chunks.append(src[buf_start:j])
                    _flush(chunks, parts)
                    return tuple(parts), j + 1
                if src.startswith('"""', j):
                    k = j + 3
                    while k < n and src[k] == '"':
                        k += 1
                    chunks.append(src[buf_start : k - 3])
                    _flush(chunks, parts)
                    return tuple(parts), k
                i = j + 1
                continue
            # c == "$"
            interp, after = self._interp(j)
            if interp is None:
                i = j + 1
                continue
            chunks.append(src[buf_start:j])
            _flush(chunks, parts)
            parts.append(interp)
            buf_start = i = after

    def _interp(self, j: int) -> tuple[Interp | None, int]:
        """At a `$` inside a GString: read `${expr}` or `$a.b.c`."""
        src = self.src
        if src.startswith("${", j):
            self._depth += 1
            if self._depth > 60:
                self._error("Strings are nested too deeply inside '${...}'.", j)
                self._depth -= 1
                return Interp(src[j + 2 :].strip()), self.n
            end = self._run(j + 2, [], stop_at_brace=True)
            self._depth -= 1
            if end < 0:
                self._error("This '${' is never closed with '}'.", j)
                return Interp(src[j + 2 :].strip()), self.n
            return Interp(src[j + 2 : end - 1].strip()), end
        m = _PATH.match(src, j + 1)
        if m is None:
            return None, j + 1
        return Interp(m.group()), m.end()

    def _slashy(self, pos: int, line: int, col: int, nl: bool, dollar: bool) -> tuple[Token, int]:
        src = self.src
        n = self.n
        i = pos + 2 if dollar else pos + 1
        quote = "$/" if dollar else "/"
        parts: list[str | Interp] = []
        chunks: list[str] = []
        buf_start = i
        fix = _dollar_slashy_sub if dollar else _slashy_sub
        while True:
            if i >= n:
                self._error(f"This {quote} string is never closed.", pos)
                chunks.append(fix(src[buf_start:n]))
                _flush(chunks, parts, decode=False)
                return Token("str", tuple(parts), pos, n, line, col, nl, quote), n
            c = src[i]
            if dollar:
                if c == "/" and src.startswith("/$", i):
                    chunks.append(fix(src[buf_start:i]))
                    _flush(chunks, parts, decode=False)
                    return Token("str", tuple(parts), pos, i + 2, line, col, nl, quote), i + 2
                if c == "$" and i + 1 < n and src[i + 1] in "$/":
                    i += 2
                    continue
            else:
                if c == "\\" and i + 1 < n and src[i + 1] in "/\n":
                    i += 2
                    continue
                if c == "/":
                    chunks.append(fix(src[buf_start:i]))
                    _flush(chunks, parts, decode=False)
                    return Token("str", tuple(parts), pos, i + 1, line, col, nl, quote), i + 1
            if c == "$" and i + 1 < n and (src[i + 1] == "{" or _IDENT_START.match(src, i + 1)):
                interp, after = self._interp(i)
                if interp is not None:
                    chunks.append(fix(src[buf_start:i]))
                    _flush(chunks, parts, decode=False)
                    parts.append(interp)
                    i = buf_start = after
                    continue
            i += 1


_SPECIAL_TRIPLE = re.compile(r'[\\"$]')
_SPECIAL_SINGLE = re.compile(r'[\\"$\n]')


def _next_special(src: str, pos: int, triple: bool) -> int:
    m = (_SPECIAL_TRIPLE if triple else _SPECIAL_SINGLE).search(src, pos)
    return m.start() if m else -1


def _next_of(src: str, pos: int, q: str, eol: int) -> int:
    """Next `q` from `pos` before the end of the line `eol` (-1: none), else `eol` (single-line strings)."""
    i = src.find(q, pos) if eol < 0 else src.find(q, pos, eol)
    return eol if eol >= 0 and i < 0 else i


def _flush(chunks: list[str], parts: list[str | Interp], decode: bool = True) -> None:
    if chunks:
        raw = "".join(chunks)
        chunks.clear()
        text = decode_escapes(raw) if decode else raw
        if text:
            if parts and isinstance(parts[-1], str):
                parts[-1] += text
            else:
                parts.append(text)


def _number(text: str) -> int | float:
    t = text.replace("_", "")
    try:
        if t[:2] in ("0x", "0X"):
            return int(t.rstrip("lLgGiI"), 16)
        if t[:2] in ("0b", "0B"):
            return int(t.rstrip("lLgGiI"), 2)
        core = t.rstrip("gGlLiIdDfF")
        if any(ch in core for ch in ".eE") or t[-1:] in "dDfF":
            return float(core)
        return int(core)
    except ValueError:
        return 0


def tokenize(text: str) -> tuple[list[Token], list[LexError]]:
    """Tokenize `text`; returns the tokens (ending with `eof`) and the lexical errors found."""
    lx = Lexer(text)
    toks = lx.tokenize()
    return toks, lx.errors
