"""The text form of a rule, read by a lark LALR grammar into the nodes of `careloop.rules.nodes`.

    age >= 65 and has_condition("I10") and latest("8480-6") >= 140

Binding, loosest first: `or`, `and`, `not`, then a comparison (`==`, `!=`, `<`, `<=`, `>`, `>=`, `in`),
as in Python and SQL: `not age >= 65` reads `not (age >= 65)`, and `a or b and c` reads
`a or (b and c)`. A comparison joins two operands (a field, a function call, a literal); parentheses
group conditions. Keywords are lower case and reserved (`and`, `or`, `not`, `in`, `true`, `false`).
Strings take double quotes, may hold any text but a line break, and escape only `\\"` and `\\\\`.
Numbers are decimal (`140`, `-1`, `6.5`).

A chain of the same connective reads as one n-ary node (`a and b and c` is one `And` of three); written
parentheses are kept (`a and (b and c)` is an `And` inside an `And`), so text and JSON translate both ways
without loss. Syntax errors become `RuleError`s that say, in words, what could have come instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError
from lark.tree import Meta

from careloop.rules.errors import RuleError
from careloop.rules.nodes import And, Call, Compare, Expr, Field, In, Literal, Not, Operand, Or, Span

GRAMMAR = r"""
?start: or_expr

?or_expr: and_expr
        | and_expr (_OR and_expr)+          -> or_

?and_expr: not_expr
         | not_expr (_AND not_expr)+        -> and_

?not_expr: _NOT not_expr                    -> not_
         | condition

?condition: operand COMP_OP operand         -> compare
          | operand _IN _LSQB [literal (_COMMA literal)*] _RSQB  -> in_
          | operand
          | _LPAR or_expr _RPAR

?operand: NAME                              -> field
        | NAME _LPAR [literal (_COMMA literal)*] _RPAR  -> call
        | literal

literal: NUMBER | STRING | TRUE | FALSE

_OR: "or"
_AND: "and"
_NOT: "not"
_IN: "in"
TRUE: "true"
FALSE: "false"
COMP_OP: "==" | "!=" | "<=" | ">=" | "<" | ">"
NAME: /[A-Za-z_][A-Za-z0-9_]*/
NUMBER: /-?\d+(\.\d+)?/
STRING: /"([^"\\\n]|\\.)*"/
_LPAR: "("
_RPAR: ")"
_LSQB: "["
_RSQB: "]"
_COMMA: ","

%import common.WS
%ignore WS
"""

# Terminal names in lark's "expected" sets, in words and in the order an editor should list them.
EXPECTED_WORDS = {
    "NAME": "a field or function name",
    "NUMBER": "a number",
    "STRING": "a string in double quotes",
    "TRUE": '"true"',
    "FALSE": '"false"',
    "_NOT": '"not"',
    "_LPAR": '"("',
    "COMP_OP": "a comparison (== != < <= > >=)",
    "_IN": '"in"',
    "_LSQB": '"["',
    "_AND": '"and"',
    "_OR": '"or"',
    "_COMMA": '","',
    "_RPAR": '")"',
    "_RSQB": '"]"',
    "$END": "the end of the rule",
}
# Habits from other languages, and what this one writes instead.
HINTS = {
    "&": 'write "and"',
    "|": 'write "or"',
    "!": 'write "not", or "!=" to compare',
    "=": 'write "==" to compare',
    "'": "strings take double quotes",
    '"': "the string is not closed: end it with a double quote on the same line",
}
KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false"})
ESCAPES = {'\\"': '"', "\\\\": "\\"}


@cache
def _parser() -> Lark:
    # The basic lexer keeps keywords reserved everywhere: the contextual one would read a misplaced "or"
    # as a field named or, and report the wrong word.
    return Lark(GRAMMAR, parser="lalr", lexer="basic", propagate_positions=True, maybe_placeholders=False)


def parse_syntax(text: str) -> Expr:
    """The rule as written, not yet checked against the vocabulary (see `careloop.rules.parse`)."""
    try:
        tree = _parser().parse(text)
        return _ToNodes(text).transform(tree)
    except UnexpectedInput as error:
        raise _syntax_error(text, error) from None
    except VisitError as error:
        if isinstance(error.orig_exc, RuleError):
            raise error.orig_exc from None
        raise


def _span(text: str, start: int, end: int) -> Span:
    def line_column(offset: int) -> tuple[int, int]:
        line = text.count("\n", 0, offset) + 1
        return line, offset - (text.rfind("\n", 0, offset) + 1) + 1

    line, column = line_column(start)
    end_line, end_column = line_column(end)
    return Span(line, column, end_line, end_column, start, end, text[start:end])


@v_args(meta=True)
class _ToNodes(Transformer[Token, Expr]):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def where(self, meta: Meta) -> Span:
        return _span(self.text, meta.start_pos, meta.end_pos)

    def or_(self, meta: Meta, items: list[Expr]) -> Or:
        return Or(tuple(items), self.where(meta))

    def and_(self, meta: Meta, items: list[Expr]) -> And:
        return And(tuple(items), self.where(meta))

    def not_(self, meta: Meta, items: list[Expr]) -> Not:
        return Not(items[0], self.where(meta))

    def compare(self, meta: Meta, items: list[Operand | Token]) -> Compare:
        left, op, right = items
        assert isinstance(op, Token) and not isinstance(left, Token) and not isinstance(right, Token)
        return Compare(str(op), left, right, self.where(meta))

    def in_(self, meta: Meta, items: list[Operand]) -> In:
        item, *values = items
        return In(item, tuple(_literals(values)), self.where(meta))

    def field(self, meta: Meta, items: list[Token]) -> Field:
        return Field(str(items[0]), self.where(meta))

    def call(self, meta: Meta, items: list[Token | Literal]) -> Call:
        name, *args = items
        return Call(str(name), tuple(_literals(args)), self.where(meta))

    def literal(self, meta: Meta, items: list[Token]) -> Literal:
        token = items[0]
        span = self.where(meta)
        match token.type:
            case "TRUE" | "FALSE":
                return Literal(token.type == "TRUE", span)
            case "NUMBER":
                return Literal(float(token) if "." in token else int(token), span)
            case _:
                return Literal(_unquote(str(token), span), span)


def _literals(items: Sequence[object]) -> list[Literal]:
    assert all(isinstance(item, Literal) for item in items)
    return [item for item in items if isinstance(item, Literal)]


def _unquote(token: str, span: Span) -> str:
    body, out, i = token[1:-1], [], 0
    while i < len(body):
        if body[i] == "\\":
            pair = body[i : i + 2]
            if pair not in ESCAPES:
                raise RuleError(f'unknown escape {pair} in a string: only \\" and \\\\ are escapes', span)
            out.append(ESCAPES[pair])
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


def _syntax_error(text: str, error: UnexpectedInput) -> RuleError:
    # The interactive parser knows exactly which terminals fit here; the error's own set is the LALR
    # state's lookahead, which lists tokens that only fit in other contexts.
    parser = error.interactive_parser
    expected: set[str] = parser.accepts() if parser else set()  # type: ignore[no-untyped-call]
    if isinstance(error, UnexpectedCharacters):
        start = error.pos_in_stream or 0
        end = start + 1
        found = text[start]
        message = f"unexpected character {found}"
        hint = HINTS.get(found)
    elif isinstance(error, UnexpectedToken):
        token = error.token
        if token.type == "$END":
            start = end = len(text)
            message, hint = "the rule ends too early", None
        else:
            start = token.start_pos if token.start_pos is not None else 0
            end = token.end_pos if token.end_pos is not None else start + len(token)
            message = f"unexpected {token}"
            hint = "keywords are written in lower case" if str(token).lower() in KEYWORDS else None
    else:  # pragma: no cover - the LALR parser raises only the two above
        start = end = 0
        message, hint = "cannot read the rule", None
    words = tuple(word for name, word in EXPECTED_WORDS.items() if name in expected)
    if words:
        message += "; expected " + (words[0] if len(words) == 1 else "one of: " + ", ".join(words))
    if hint:
        message += f" ({hint})"
    return RuleError(message, _span(text, start, end), expected=words)
