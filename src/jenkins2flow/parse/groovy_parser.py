"""A recursive-descent parser for the Groovy subset Jenkinsfiles use, with statement-level error recovery.

`parse_groovy(text)` never raises: a statement it cannot read becomes an `Unparsed` node (its source kept through
the offsets) and a `ParseError`; parsing resumes at the next line of the same brace depth. Inputs larger than
`MAX_INPUT` and nesting deeper than `MAX_DEPTH` are refused with one error each.
"""

from __future__ import annotations

from jenkins2flow.parse import groovy_ast as A
from jenkins2flow.parse.groovy_lexer import Lexer, Token

__all__ = ["parse_groovy", "MAX_INPUT", "MAX_DEPTH"]

MAX_INPUT = 5_000_000
MAX_DEPTH = 150

# Binary operators: precedence (higher binds tighter).
_BINARY = {
    "||": 1, "&&": 2, "|": 3, "^": 4, "&": 5,
    "==": 6, "!=": 6, "<=>": 6, "===": 6, "!==": 6, "=~": 6, "==~": 6,
    "<": 7, "<=": 7, ">": 7, ">=": 7, "in": 7, "instanceof": 7, "as": 7,
    "<<": 8, "..": 8, "..<": 8,
    "+": 9, "-": 9, "*": 10, "/": 10, "%": 10, "**": 11,
}  # fmt: skip
_WORD_OPS = {"in", "instanceof", "as"}
# Binary operators that may begin a continuation line (none of them can begin a statement).
_NO_LINE_CONT = {"+", "-", "*", "/", "<", "..", "..<"}
_ASSIGN = {"=", "+=", "-=", "*=", "/=", "%=", "**=", "&=", "|=", "^=", "<<=", ">>=", ">>>=", "?="}
_MODIFIERS = {"final", "static", "private", "public", "protected", "abstract", "synchronized", "transient", "volatile"}
_PRIMITIVES = {"int", "long", "boolean", "double", "float", "char", "byte", "short", "void"}
_KEYWORDS = {
    "if", "else", "for", "while", "do", "switch", "case", "default", "try", "catch", "finally", "return", "throw",
    "break", "continue", "def", "var", "new", "class", "interface", "enum", "trait", "import", "package", "in",
    "instanceof", "as", "assert",
} | _MODIFIERS  # fmt: skip
_LITERALS = {"true": True, "false": False, "null": None}
_CLOSERS = {"(": ")", "[": "]", "{": "}"}


class _Fail(Exception):
    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


class Parser:
    def __init__(self, text: str, tokens: list[Token]) -> None:
        self.src = text
        self.toks = tokens
        self.i = 0
        self.depth = 0
        self.errors: list[A.ParseError] = []

    # -- token helpers -----------------------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def peek(self, k: int = 1) -> Token:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else self.toks[-1]

    def advance(self) -> Token:
        t = self.toks[self.i]
        if t.kind != "eof":
            self.i += 1
        return t

    def expect(self, kind: str) -> Token:
        t = self.toks[self.i]
        if t.kind != kind:
            raise _Fail(f"Expected {kind!r} but found {_show(t)}.", t.start)
        self.i += 1
        return t

    def is_id(self, value: str) -> bool:
        t = self.toks[self.i]
        return t.kind == "id" and t.value == value

    def prev_end(self) -> int:
        return self.toks[self.i - 1].end if self.i else 0

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Fail(f"The code is nested more than {MAX_DEPTH} levels deep; this part is not read.", self.tok.start)

    # -- statements ----------------------------------------------------------------------------------------------
    def parse_module(self) -> A.Module:
        body = self.statements(top=True)
        return A.Module(body, self.errors)

    def statements(self, top: bool = False, stop_words: tuple[str, ...] = ()) -> list[A.Stmt]:
        out: list[A.Stmt] = []
        toks = self.toks
        while True:
            t = toks[self.i]
            k = t.kind
            if k == "eof" or (k == "}" and not top):
                return out
            if k == ";":
                self.i += 1
                continue
            if stop_words and k == "id" and t.value in stop_words:
                return out
            start_i = self.i
            saved_depth = self.depth
            try:
                s = self.statement()
                t = toks[self.i]
                ended = t.nl or t.kind in (";", "}", "eof") or toks[self.i - 1].kind == "}"
                if not (ended or isinstance(s, A.Annotation)):
                    raise _Fail(f"Unexpected {_show(t)} after a complete statement.", t.start)
                out.append(s)
            except _Fail as e:
                self.depth = saved_depth
                out.append(self.recover(start_i, e))

    def recover(self, start_i: int, e: _Fail) -> A.Unparsed:
        """Skip from the statement start to the next line at the same bracket depth (or a closing brace)."""
        toks = self.toks
        i = start_i
        depth = 0
        while True:
            t = toks[i]
            k = t.kind
            if k == "eof":
                break
            if i > start_i and depth == 0 and (t.nl or k == ";"):
                break
            if k in _CLOSERS:
                depth += 1
            elif k in (")", "]", "}"):
                if depth == 0 and k == "}":
                    break
                depth = max(depth - 1, 0)
            i += 1
        if i == start_i and toks[i].kind != "eof":
            i += 1  # a stray closer at top level: skip it
        start = toks[start_i].start
        end = toks[i - 1].end if i > start_i else toks[start_i].end
        self.i = i
        self.errors.append(A.ParseError(e.message, max(e.pos, start) if e.pos <= end else start, end))
        return A.Unparsed(start, end, e.message)

    def statement(self) -> A.Stmt:
        t = self.tok
        if t.kind == "id":
            v = t.value
            h = _STMT_KEYWORDS.get(str(v))
            if h is not None and not (self.peek().kind in (".", "?.") and not self.peek().nl):
                return h(self)
            if v in _MODIFIERS or v in ("def", "var"):
                return self.declaration()
            if self._looks_like_typed_decl():
                return self.declaration()
        elif t.kind == "@":
            return self.annotation()
        elif t.kind == "{":
            start = t.start
            self.enter()
            self.advance()
            body = self.statements()
            self.expect("}")
            self.depth -= 1
            return A.Block(start, self.prev_end(), body)
        return self.expression_statement()

    def body(self) -> list[A.Stmt]:
        """A braced block or a single statement (after if/for/while/else)."""
        if self.tok.kind == "{":
            self.enter()
            self.advance()
            b = self.statements()
            self.expect("}")
            self.depth -= 1
            return b
        if self.tok.kind == ";":
            self.advance()
            return []
        self.enter()
        st = self.statement()
        self.depth -= 1
        return [st]

    def if_stmt(self) -> A.Stmt:
        start = self.advance().start
        self.expect("(")
        cond = self.expression()
        self.expect(")")
        then = self.body()
        other = None
        j = self.i
        while self.toks[j].kind == ";":
            j += 1
        if self.toks[j].kind == "id" and self.toks[j].value == "else":
            self.i = j + 1
            other = self.body()
        return A.If(start, self.prev_end(), cond, then, other)

    def try_stmt(self) -> A.Stmt:
        start = self.advance().start
        body = self.block()
        catches: list[A.Catch] = []
        final = None
        while self.is_id("catch"):
            self.advance()
            self.expect("(")
            names: list[str] = []
            while self.tok.kind not in (")", "eof"):
                t = self.advance()
                if t.kind == "id":
                    names.append(t.value)  # type: ignore[arg-type]
                elif t.kind == "|":
                    names.append("|")
                elif t.kind == ".":
                    names.append(".")
            self.expect(")")
            if not names:
                raise _Fail("A catch clause needs a variable name.", self.tok.start)
            name = names[-1]
            type_ = "".join(names[:-1]).replace("|", " | ")
            if type_ in ("def", "final"):
                type_ = ""
            catches.append(A.Catch(type_, name, self.block()))
        if self.is_id("finally"):
            self.advance()
            final = self.block()
        if not catches and final is None:
            raise _Fail("A try block needs a catch or finally clause.", self.tok.start)
        return A.Try(start, self.prev_end(), body, catches, final)

    def block(self) -> list[A.Stmt]:
        if self.tok.kind != "{":
            raise _Fail(f"Expected '{{' but found {_show(self.tok)}.", self.tok.start)
        return self.body()

    def for_stmt(self) -> A.Stmt:
        start = self.advance().start
        self.expect("(")
        # classic if a ';' appears at depth 0 before the closing paren
        j, depth, classic = self.i, 0, False
        while True:
            k = self.toks[j].kind
            if k == "eof":
                break
            if k in _CLOSERS:
                depth += 1
            elif k in (")", "]", "}"):
                if depth == 0:
                    break
                depth -= 1
            elif k == ";" and depth == 0:
                classic = True
                break
            j += 1
        if classic:
            init: list[A.Stmt] = []
            if self.tok.kind != ";":
                init.append(self.statement())
                while self.tok.kind == ",":
                    self.advance()
                    init.append(A.ExprStmt(self.tok.start, 0, self.expression()))
            self.expect(";")
            cond = None if self.tok.kind == ";" else self.expression()
            self.expect(";")
            update: list[A.Node] = []
            while self.tok.kind != ")":
                update.append(self.expression())
                if self.tok.kind == ",":
                    self.advance()
                elif self.tok.kind != ")":
                    raise _Fail(f"Unexpected {_show(self.tok)} in a for loop.", self.tok.start)
            self.expect(")")
            body = self.body()
            return A.For(start, self.prev_end(), "classic", "", None, init, cond, update, body)
        # for (Type x in xs) / for (x : xs)
        names: list[str] = []
        while self.tok.kind == "id" and self.tok.value != "in":
            names.append(self.advance().value)  # type: ignore[arg-type]
            self._skip_type_suffix()
        if not names or not (self.is_id("in") or self.tok.kind == ":"):
            raise _Fail(f"Unexpected {_show(self.tok)} in a for loop.", self.tok.start)
        self.advance()
        it = self.expression()
        self.expect(")")
        body = self.body()
        return A.For(start, self.prev_end(), "in", names[-1], it, [], None, [], body)

    def while_stmt(self) -> A.Stmt:
        start = self.advance().start
        self.expect("(")
        cond = self.expression()
        self.expect(")")
        return A.While(start, self.prev_end(), cond, self.body())

    def do_stmt(self) -> A.Stmt:
        start = self.advance().start
        body = self.block()
        if not self.is_id("while"):
            raise _Fail("A do block must be followed by 'while (...)'.", self.tok.start)
        self.advance()
        self.expect("(")
        cond = self.expression()
        self.expect(")")
        return A.While(start, self.prev_end(), cond, body, do=True)

    def switch_stmt(self) -> A.Stmt:
        start = self.advance().start
        self.expect("(")
        subject = self.expression()
        self.expect(")")
        self.expect("{")
        self.enter()
        cases: list[A.Case] = []
        while self.tok.kind != "}":
            if self.tok.kind == ";":
                self.advance()
                continue
            values: list[A.Node] = []
            default = False
            while self.is_id("case") or self.is_id("default"):
                if self.advance().value == "case":
                    values.append(self.expression())
                else:
                    default = True
                self.expect(":")
            if not values and not default:
                raise _Fail(f"Expected 'case' or 'default' but found {_show(self.tok)}.", self.tok.start)
            cases.append(A.Case(values, self.statements(stop_words=("case", "default")), default))
        self.expect("}")
        self.depth -= 1
        return A.Switch(start, self.prev_end(), subject, cases)

    def jump(self) -> A.Stmt:
        t = self.advance()
        value = None
        nt = self.tok
        if not nt.nl and nt.kind not in (";", "}", "eof"):
            if t.value in ("break", "continue"):
                self.advance()  # a label
            else:
                value = self.value_expression()
                if t.value == "assert" and self.tok.kind in (":", ","):
                    self.advance()
                    self.expression()
        return A.Jump(t.start, self.prev_end(), t.value, value)  # type: ignore[arg-type]

    def import_stmt(self) -> A.Stmt:
        t = self.advance()
        j = self.i
        while not self.toks[j].nl and self.toks[j].kind not in (";", "eof"):
            j += 1
        end = self.toks[j - 1].end
        self.i = j
        return A.Import(t.start, end, self.src[t.end : end].strip())

    def class_def(self) -> A.Stmt:
        t = self.advance()
        name = self.tok.value if self.tok.kind == "id" else ""
        while self.tok.kind not in ("{", "eof"):
            self.advance()
        self._skip_balanced()
        return A.ClassDef(t.start, self.prev_end(), str(name), str(t.value))

    def _skip_balanced(self) -> None:
        """Skip a bracketed group starting at the current token."""
        depth = 0
        while True:
            t = self.advance()
            if t.kind == "eof":
                raise _Fail("A bracket is never closed.", t.start)
            if t.kind in _CLOSERS:
                depth += 1
            elif t.kind in (")", "]", "}"):
                depth -= 1
                if depth <= 0:
                    return

    def annotation(self) -> A.Stmt:
        start = self.advance().start
        name_t = self.expect("id")
        name = str(name_t.value)
        while self.tok.kind == "." and self.peek().kind == "id":
            self.advance()
            name += "." + str(self.advance().value)
        args: list[A.Arg] = []
        if self.tok.kind == "(" and not self.tok.nl:
            self.advance()
            args = self.arguments(")")
        return A.Annotation(start, self.prev_end(), name, args)

    # -- declarations --------------------------------------------------------------------------------------------
    def _looks_like_typed_decl(self) -> bool:
        """`String x = ...`, `List<String> xs`, `java.io.File f`, `int[] a`, `Map f(...) {`."""
        j = self.i
        toks = self.toks
        first = toks[j].value
        j += 1
        last = first
        while toks[j].kind == "." and toks[j + 1].kind == "id" and not toks[j].nl:
            last = toks[j + 1].value
            j += 2
        typeish = isinstance(last, str) and (last[:1].isupper() or last in _PRIMITIVES)
        if toks[j].kind == "<" and not toks[j].nl:
            depth = 0
            while True:
                k = toks[j].kind
                if k == "<":
                    depth += 1
                elif k == ">":
                    depth -= 1
                    if depth == 0:
                        j += 1
                        break
                elif k not in ("id", ",", ".", "?", "[", "]", "&"):
                    return False
                j += 1
            typeish = True
        while toks[j].kind == "[" and toks[j + 1].kind == "]":
            j += 2
            typeish = True
        if not typeish or toks[j].kind != "id" or toks[j].nl or toks[j].value in _KEYWORDS:
            return False
        nxt = toks[j + 1] if j + 1 < len(toks) else toks[-1]
        return nxt.kind in ("=", "(", ";", ",", "}", "eof") or nxt.nl

    def _skip_type_suffix(self) -> None:
        """After a type's first identifier: `.Name`, `<...>`, `[]`."""
        while self.tok.kind == "." and self.peek().kind == "id":
            self.advance()
            self.advance()
        if self.tok.kind == "<":
            self._skip_balanced_angle()
        while self.tok.kind == "[" and self.peek().kind == "]":
            self.advance()
            self.advance()

    def _type(self) -> str:
        s = self.tok.start
        self.advance()
        self._skip_type_suffix()
        return self.src[s : self.prev_end()]

    def declaration(self) -> A.Stmt:
        start = self.tok.start
        mods: list[str] = []
        type_ = ""
        while self.tok.kind == "id" and (self.tok.value in _MODIFIERS or self.tok.value in ("def", "var")):
            mods.append(str(self.advance().value))
        if self.tok.kind == "@":  # annotation between modifiers
            self.annotation()
        if self.tok.kind == "id" and self.tok.value in ("class", "interface", "enum", "trait"):
            c = self.class_def()
            c.start = start
            return c
        if self.tok.kind == "(":  # def (a, b) = ...
            self.advance()
            names = []
            while self.tok.kind != ")":
                t = self.expect("id")
                if self.tok.kind == "id":  # typed element
                    t = self.advance()
                names.append(str(t.value))
                if self.tok.kind == ",":
                    self.advance()
            self.advance()
            self.expect("=")
            value = self.expression()
            return A.VarDecl(start, self.prev_end(), names, "", value, mods)
        if self.tok.kind != "id":
            if mods:
                raise _Fail(f"Expected a name after {' '.join(mods)!r} but found {_show(self.tok)}.", self.tok.start)
            raise _Fail(f"Unexpected {_show(self.tok)}.", self.tok.start)
        # optional type: present when an identifier follows
        if self.tok.kind == "id" and (
            self.peek().kind in (".", "<", "[") or (self.peek().kind == "id" and not self.peek().nl)
        ):
            if self.peek().kind in ("id", ".", "<") or (self.peek().kind == "[" and self.peek(2).kind == "]"):
                type_ = self._type()
        if self.tok.kind == "str":  # def "name with spaces"() {}
            name = "".join(p for p in self.advance().value if isinstance(p, str))  # type: ignore[union-attr,attr-defined]
        else:
            name = str(self.expect("id").value)
        if self.tok.kind == "(" and not self.tok.nl:
            return self.method_rest(start, name, type_, mods)
        names = [name]
        values: list[A.Node | None] = []
        while True:
            v = None
            if self.tok.kind == "=":
                self.advance()
                v = self.value_expression()
            values.append(v)
            if self.tok.kind == "," and self.peek().kind == "id":
                self.advance()
                names.append(str(self.advance().value))
                continue
            break
        return A.VarDecl(start, self.prev_end(), names, type_, values[0], mods, values)

    def method_rest(self, start: int, name: str, rtype: str, mods: list[str]) -> A.Stmt:
        self.expect("(")
        params: list[A.Param] = []
        while self.tok.kind != ")":
            while self.tok.kind == "@":
                self.annotation()
            while self.is_id("final"):
                self.advance()
            t = self.expect("id")
            ptype = ""
            if self.tok.kind in (".", "<", "[") or (self.tok.kind == "id"):
                j = self.i
                self.i -= 1
                ptype = self._type()
                if self.tok.kind == "id":
                    t = self.advance()
                else:  # it was not a type after all
                    self.i = j
                    ptype = ""
            if self.tok.kind == "...":
                self.advance()
                t = self.expect("id")
            default = None
            if self.tok.kind == "=":
                self.advance()
                default = self.expression()
            params.append(A.Param(str(t.value), ptype, default))
            if self.tok.kind == ",":
                self.advance()
            elif self.tok.kind != ")":
                raise _Fail(f"Unexpected {_show(self.tok)} in the parameters of {name!r}.", self.tok.start)
        self.advance()
        if self.is_id("throws"):
            self.advance()
            self._type()
            while self.tok.kind == ",":
                self.advance()
                self._type()
        body = self.block()
        return A.MethodDef(start, self.prev_end(), name, params, rtype, body, mods)

    # -- expressions ---------------------------------------------------------------------------------------------
    def expression_statement(self) -> A.Stmt:
        start = self.tok.start
        e = self.command_or_expression()
        return A.ExprStmt(start, e.end, e)

    def command_or_expression(self) -> A.Node:
        t = self.tok
        if t.kind == "id" and t.value not in _KEYWORDS and t.value not in _LITERALS:
            left = self.postfix(self.primary())
            if isinstance(left, (A.Name, A.Prop)) and _starts_command_arg(self.tok):
                args = self.command_args()
                e: A.Node = _as_call(left, args, self.prev_end(), command=True)
                # `foo 'x' { ... }` is not Groovy, but a chained call is: `a b c` -> a(b).c ; keep simple
                return e
            left = self.binary(0, left)
            left = self.ternary_rest(left)
            return self.assign_rest(left)
        if t.kind == "str" and _starts_command_arg(self.peek()) and all(isinstance(p, str) for p in t.value):  # type: ignore
            # `"a.b.Tool" "1.0"`: a command expression whose method name is a string
            self.advance()
            args = self.command_args()
            return A.Call(t.start, self.prev_end(), None, "".join(t.value), args, [], True)  # type: ignore[arg-type]
        if t.kind == "(" and self.peek().kind == "id" and self.peek(2).kind == ",":
            j = self.i + 1
            while self.toks[j].kind in ("id", ","):
                j += 1
            if self.toks[j].kind == ")" and self.toks[j + 1].kind == "=":  # (a, b) = f()
                self.i = j + 2
                target = A.Raw(t.start, self.toks[j].end, "names")
                right = self.value_expression()
                return A.Binary(t.start, right.end, "=", target, right)
        return self.expression()

    def command_args(self) -> list[A.Arg]:
        args: list[A.Arg] = []
        while True:
            args.append(self.argument())
            if self.tok.kind == "," and not self.tok.nl:
                self.advance()
                continue
            return args

    def argument(self) -> A.Arg:
        t = self.tok
        nk = self.peek().kind
        if nk == ":" and t.kind in ("id", "str", "num"):
            if t.kind == "str":
                key = "".join(p if isinstance(p, str) else "${" + p.expr + "}" for p in t.value)  # type: ignore
            else:
                key = str(t.value)
            self.advance()
            self.advance()
            return A.Arg(self.expression(), key)
        if t.kind == "*" and nk == ":":
            self.advance()
            self.advance()
            return A.Arg(self.expression(), "*")
        e = self.expression()
        if self.tok.kind == ":":
            # `(expr): value` or `"${x}": value` — a computed key; keep the key's source as the name
            self.advance()
            k = e.operand if isinstance(e, A.Unary) and e.op == "()" else e
            return A.Arg(self.expression(), self.src[k.start : k.end])
        return A.Arg(e)

    def arguments(self, closer: str) -> list[A.Arg]:
        """Arguments after an opening bracket, up to and including `closer`."""
        args: list[A.Arg] = []
        while self.tok.kind != closer:
            args.append(self.argument())
            if self.tok.kind == ",":
                self.advance()
            elif self.tok.kind != closer:
                raise _Fail(f"Expected ',' or {closer!r} but found {_show(self.tok)}.", self.tok.start)
        self.advance()
        return args

    def value_expression(self) -> A.Node:
        """The right side of `=` or `return`: an expression or a command expression (`x = readFile 'f'`)."""
        self.enter()
        e = self.command_or_expression()
        self.depth -= 1
        return e

    def expression(self) -> A.Node:
        self.enter()
        left = self.binary(0, None)
        left = self.ternary_rest(left)
        left = self.assign_rest(left)
        self.depth -= 1
        return left

    def assign_rest(self, left: A.Node) -> A.Node:
        t = self.tok
        if t.kind in _ASSIGN:
            self.advance()
            right = self.value_expression()
            return A.Binary(left.start, right.end, str(t.value), left, right)
        if t.kind == ">" and self._adjacent_ops(">", ">=") or t.kind == ">" and self._adjacent_ops(">", ">", ">="):
            n = 3 if self._adjacent_ops(">", ">", ">=") else 2
            for _ in range(n):
                self.advance()
            right = self.expression()
            return A.Binary(left.start, right.end, ">>=", left, right)
        return left

    def _adjacent_ops(self, *kinds: str) -> bool:
        j = self.i
        for idx, k in enumerate(kinds):
            t = self.toks[j + idx] if j + idx < len(self.toks) else self.toks[-1]
            if t.kind != k or (idx and t.start != self.toks[j + idx - 1].end):
                return False
        return True

    def ternary_rest(self, cond: A.Node) -> A.Node:
        t = self.tok
        if t.kind == "?":
            self.advance()
            then = self.expression()
            self.expect(":")
            other = self.expression()
            return A.Ternary(cond.start, other.end, cond, then, other)
        if t.kind == "?:":
            self.advance()
            other = self.expression()
            return A.Ternary(cond.start, other.end, cond, None, other)
        return cond

    def binary(self, min_prec: int, left: A.Node | None) -> A.Node:
        if left is None:
            left = self.unary()
        toks = self.toks
        while True:
            t = toks[self.i]
            k = t.kind
            op = k
            if k == "id":
                if t.value not in _WORD_OPS:
                    return left
                op = str(t.value)
            elif k == "!" and toks[self.i + 1].kind == "id" and toks[self.i + 1].value in ("in", "instanceof"):
                op = "!" + str(toks[self.i + 1].value)
            elif k == ">" and toks[self.i + 1].kind == ">" and toks[self.i + 1].start == t.end:
                op = ">>"
            prec = _BINARY.get(op[1:] if op in ("!in", "!instanceof") else op)
            if op == ">>":
                prec = 8
            if prec is None or prec < min_prec:
                return left
            if t.nl and op in _NO_LINE_CONT:
                return left
            if op == ">>":
                self.advance()
                if self.tok.kind == ">" and self.peek().start == self.tok.end:
                    self.advance()
            elif op in ("!in", "!instanceof"):
                self.advance()
            self.advance()
            if op in ("as", "instanceof", "!instanceof"):
                tstart = self.tok.start
                if self.tok.kind != "id":
                    raise _Fail(f"Expected a type after {op!r} but found {_show(self.tok)}.", self.tok.start)
                self._type()
                right: A.Node = A.Raw(tstart, self.prev_end(), "type")
            else:
                self.enter()
                right = self.binary(prec + (0 if op == "**" else 1), None)
                self.depth -= 1
            left = A.Binary(left.start, right.end, op, left, right)

    def unary(self) -> A.Node:
        t = self.tok
        k = t.kind
        if k in ("!", "-", "+", "~", "++", "--", "*"):
            self.enter()
            self.advance()
            operand = self.unary()
            self.depth -= 1
            return A.Unary(t.start, operand.end, k, operand)
        if k == "(" and self._looks_like_cast():
            self.advance()
            type_ = self._type()
            self.expect(")")
            operand = self.unary()
            return A.Cast(t.start, operand.end, type_, operand)
        return self.postfix(self.primary())

    def _looks_like_cast(self) -> bool:
        toks = self.toks
        j = self.i + 1
        if toks[j].kind != "id":
            return False
        name = toks[j].value
        j += 1
        while toks[j].kind == "." and toks[j + 1].kind == "id":
            name = toks[j + 1].value
            j += 2
        if toks[j].kind == "<":
            return False
        while toks[j].kind == "[" and toks[j + 1].kind == "]":
            j += 2
        if toks[j].kind != ")":
            return False
        if not (isinstance(name, str) and (name[:1].isupper() or name in _PRIMITIVES)):
            return False
        nk = toks[j + 1].kind
        return nk in ("id", "str", "num", "(", "[") and not (nk == "id" and toks[j + 1].value in _WORD_OPS)

    def primary(self) -> A.Node:
        t = self.tok
        k = t.kind
        if k == "id":
            v = t.value
            self.advance()
            if v in _LITERALS:
                return A.Lit(t.start, t.end, _LITERALS[v])  # type: ignore[index]
            if v == "new":
                return self.new_rest(t)
            if v in _KEYWORDS and v not in ("in", "as", "def", "var", "default"):
                raise _Fail(f"Unexpected keyword {v!r} in an expression.", t.start)
            return A.Name(t.start, t.end, str(v))
        if k == "str":
            parts = t.value
            self.i += 1
            if all(isinstance(p, str) for p in parts):  # type: ignore[union-attr,attr-defined]
                return A.Lit(t.start, t.end, "".join(parts))  # type: ignore[arg-type]
            return A.Str(t.start, t.end, parts)  # type: ignore[arg-type]
        if k == "num":
            self.advance()
            return A.Lit(t.start, t.end, t.value)
        if k == "(":
            self.enter()
            self.advance()
            e = self.expression()
            self.expect(")")
            self.depth -= 1
            # keep the parentheses in the node's extent
            return _reparen(e, t.start, self.prev_end())
        if k == "[":
            return self.list_or_map()
        if k == "{":
            return self.closure()
        raise _Fail(f"Unexpected {_show(t)}.", t.start)

    def new_rest(self, t: Token) -> A.Node:
        if self.tok.kind != "id":
            raise _Fail(f"Expected a class name after 'new' but found {_show(self.tok)}.", self.tok.start)
        type_ = self._type() if self.peek().kind != "[" else str(self.advance().value)
        args: list[A.Arg] = []
        if self.tok.kind == "(":
            self.advance()
            args = self.arguments(")")
            if self.tok.kind == "{" and not self.tok.nl:  # anonymous class body
                self._skip_balanced()
        elif self.tok.kind == "[":
            self.advance()
            if self.tok.kind != "]":
                self.expression()
            self.expect("]")
            while self.tok.kind == "[":
                self._skip_balanced()
            if self.tok.kind == "{":
                self._skip_balanced()
        return A.New(t.start, self.prev_end(), type_, args)

    def list_or_map(self) -> A.Node:
        start = self.advance().start
        self.enter()
        if self.tok.kind == ":" and self.peek().kind == "]":
            self.advance()
            self.advance()
            self.depth -= 1
            return A.MapExpr(start, self.prev_end(), [])
        items: list[A.Node] = []
        entries: list[tuple[A.Node | str, A.Node]] = []
        while self.tok.kind != "]":
            arg = self.argument()
            if arg.key is not None:
                entries.append((arg.key, arg.value))
            else:
                items.append(arg.value)
            if self.tok.kind == ",":
                self.advance()
            elif self.tok.kind != "]":
                raise _Fail(f"Expected ',' or ']' but found {_show(self.tok)}.", self.tok.start)
        self.advance()
        self.depth -= 1
        if entries and not items:
            return A.MapExpr(start, self.prev_end(), entries)
        if entries:
            raise _Fail("A list mixes map entries and plain values.", start)
        return A.ListExpr(start, self.prev_end(), items)

    def closure(self) -> A.ClosureExpr:
        start = self.advance().start
        self.enter()
        params: list[str] = []
        # look ahead for `a, String b = 1 ->`
        j = self.i
        toks = self.toks
        if toks[j].kind == "->":
            self.i = j + 1
        elif toks[j].kind == "id":
            # `a, String b, c = 1 ->`: the name is the last identifier before `=`, `,` or `->`
            cur = ""
            in_default = False
            found = False
            while True:
                k = toks[j].kind
                if k == "->":
                    found = True
                    break
                if k == "id" and not in_default:
                    cur = str(toks[j].value)
                elif k == "=":
                    in_default = True
                elif k == ",":
                    params.append(cur)
                    in_default = False
                elif not (in_default and k in ("str", "num", "id", "[", "]", "-", ":")) and k not in (
                    ".", "<", ">", "[", "]", "?"
                ):
                    break
                j += 1
            if found:
                params.append(cur)
                self.i = j + 1
            else:
                params = []
        body = self.statements()
        self.expect("}")
        self.depth -= 1
        return A.ClosureExpr(start, self.prev_end(), params, body)

    def postfix(self, e: A.Node) -> A.Node:
        toks = self.toks
        while True:
            t = toks[self.i]
            k = t.kind
            if k in (".", "?.", "*.", ".&", "::"):
                self.advance()
                nt = self.tok
                if nt.kind == "id":
                    name = str(nt.value)
                elif nt.kind == "str":
                    name = "".join(p if isinstance(p, str) else "${" + p.expr + "}" for p in nt.value)  # type: ignore
                elif nt.kind == "@" and self.peek().kind == "id":
                    self.advance()
                    name = "@" + str(self.tok.value)
                    nt = self.tok
                elif nt.kind == "<":  # explicit generic method call a.<T>foo()
                    self._skip_balanced_angle()
                    name = str(self.expect("id").value)
                    self.i -= 1
                    nt = self.tok
                else:
                    raise _Fail(f"Expected a name after {k!r} but found {_show(nt)}.", nt.start)
                self.advance()
                e = A.Prop(e.start, nt.end, e, name, k)
                continue
            if t.nl:
                # `stage('x')` then `{` on the next line: Jenkins' Groovy takes the block as the trailing closure
                if k == "{" and (isinstance(e, A.Name) or (isinstance(e, A.Call) and e.parens and not e.closures)):
                    c = self.closure()
                    if isinstance(e, A.Name):
                        e = _as_call(e, [], c.end)
                    else:
                        e.end = c.end
                    e.closures.append(c)  # type: ignore[attr-defined]
                    continue
                return e
            if k == "(":
                self.enter()
                self.advance()
                args = self.arguments(")")
                self.depth -= 1
                e = _as_call(e, args, self.prev_end(), parens=True)
                continue
            if k == "{":
                if isinstance(e, (A.Name, A.Prop, A.Call)) and not (isinstance(e, A.Call) and e.command):
                    c = self.closure()
                    if isinstance(e, A.Call):
                        e.closures.append(c)
                        e.end = c.end
                    else:
                        e = _as_call(e, [], c.end)
                        e.closures.append(c)  # type: ignore[attr-defined]
                    continue
                return e
            if k == "[":
                self.enter()
                self.advance()
                idx = [a.value for a in self.arguments("]")]
                self.depth -= 1
                e = A.Index(e.start, self.prev_end(), e, idx)
                continue
            if k in ("++", "--"):
                self.advance()
                e = A.Unary(e.start, t.end, k, e, postfix=True)
                continue
            return e

    def _skip_balanced_angle(self) -> None:
        depth = 0
        while self.tok.kind != "eof":
            k = self.advance().kind
            if k == "<":
                depth += 1
            elif k == ">":
                depth -= 1
                if depth == 0:
                    return


def _reparen(e: A.Node, start: int, end: int) -> A.Node:
    if isinstance(e, (A.Lit, A.Str)):
        return e
    return A.Unary(start, end, "()", e)


def _as_call(callee: A.Node, args: list[A.Arg], end: int, command: bool = False, parens: bool = False) -> A.Call:
    if isinstance(callee, A.Name):
        return A.Call(callee.start, end, None, callee.name, args, [], command, parens)
    if isinstance(callee, A.Prop):
        return A.Call(callee.start, end, callee.obj, callee.name, args, [], command, parens)
    return A.Call(callee.start, end, callee, "call", args, [], command, parens)


def _starts_command_arg(t: Token) -> bool:
    if t.nl:
        return False
    k = t.kind
    if k == "str" or k == "num":
        return True
    if k == "id":
        return t.value not in _WORD_OPS
    return False


def _show(t: Token) -> str:
    if t.kind == "eof":
        return "the end of the file"
    if t.kind == "str":
        return "a string"
    if t.kind == "err":
        return str(t.value).rstrip(".")
    return repr(t.value)


_STMT_KEYWORDS = {
    "if": Parser.if_stmt,
    "try": Parser.try_stmt,
    "for": Parser.for_stmt,
    "while": Parser.while_stmt,
    "do": Parser.do_stmt,
    "switch": Parser.switch_stmt,
    "return": Parser.jump,
    "throw": Parser.jump,
    "break": Parser.jump,
    "continue": Parser.jump,
    "assert": Parser.jump,
    "import": Parser.import_stmt,
    "package": Parser.import_stmt,
    "class": Parser.class_def,
    "interface": Parser.class_def,
    "enum": Parser.class_def,
    "trait": Parser.class_def,
}


def parse_groovy(text: str) -> A.Module:
    """Parse Groovy source into a `Module`; never raises. Lexical and syntax errors are in `Module.errors`."""
    if len(text) > MAX_INPUT:
        return A.Module([], [A.ParseError(f"The file is larger than {MAX_INPUT} bytes and is not parsed.", 0, 0)])
    lx = Lexer(text)
    try:
        toks = lx.tokenize()
    except RecursionError:
        return A.Module([], [A.ParseError("The file is nested too deeply to be read.", 0, 0)])
    p = Parser(text, toks)
    try:
        mod = p.parse_module()
    except (RecursionError, _Fail, IndexError) as e:  # last-resort guard; statements recover on their own
        p.errors.append(A.ParseError(f"The parser stopped early: {e}.", 0, 0))
        mod = A.Module([], p.errors)
    lex_errors = [A.ParseError(e.message, e.start, e.start + 1) for e in lx.errors]
    if lex_errors:
        mod.errors[:0] = lex_errors
    return mod
