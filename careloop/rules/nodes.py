"""The rule tree: a small, fixed set of frozen node types that every consumer walks.

A rule is a boolean expression over the patient facts:

- operands: `Literal` (a number, a string, true or false), `Field` (a fact of the patient, `age`) and
  `Call` (a fact that takes literal arguments, `latest("8480-6")`);
- conditions: `Compare` (`==`, `!=`, `<`, `<=`, `>`, `>=`), `In` (an operand in a list of literals), and a
  boolean operand on its own (`deceased`, `has_tag("高血压")`, `true`);
- connectives: `Not`, `And`, `Or` (n-ary).

Call arguments and list items are literals only, so that every fact a rule reads is known before any
patient is looked at (see `facts_read`) and a compiler can turn each fact into one subquery. A compiler
dispatches with `match` on these eight classes; `walk` visits them all.

Positions (`Span`) are kept for error messages only: they take no part in equality or hashing, so a rule
parsed from text equals the same rule read from JSON.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

Value = bool | int | float | str
COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")


@dataclass(frozen=True)
class Span:
    """Where a node was written: 1-based line and column (end exclusive), 0-based character offsets."""

    line: int
    column: int
    end_line: int
    end_column: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Literal:
    value: Value
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Field:
    name: str
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Literal, ...] = ()
    span: Span | None = field(default=None, compare=False, repr=False)


Operand = Literal | Field | Call


@dataclass(frozen=True)
class Compare:
    op: str  # one of COMPARISONS
    left: Operand
    right: Operand
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class In:
    item: Operand
    values: tuple[Literal, ...]
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Not:
    item: Expr
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class And:
    items: tuple[Expr, ...]  # two or more
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Or:
    items: tuple[Expr, ...]  # two or more
    span: Span | None = field(default=None, compare=False, repr=False)


Expr = Literal | Field | Call | Compare | In | Not | And | Or
Fact = Field | Call


def children(node: Expr) -> tuple[Expr, ...]:
    """The nodes directly under `node`, in the order they are written."""
    match node:
        case Call(args=args):
            return args
        case Compare(left=left, right=right):
            return (left, right)
        case In(item=item, values=values):
            return (item, *values)
        case Not(item=item):
            return (item,)
        case And(items=items) | Or(items=items):
            return items
        case _:
            return ()


def walk(node: Expr) -> Iterator[Expr]:
    """Every node of the rule, parents before children, in the order they are written."""
    yield node
    for child in children(node):
        yield from walk(child)


def facts_read(rule: Expr) -> frozenset[Fact]:
    """The facts a rule reads (fields, and calls with their arguments), without positions.

    The facts refresh uses this to know which rules a changed fact may flip: a rule that reads only
    `age` and `has_tag("高血压")` need not run again when a lab result arrives.
    """
    found: set[Fact] = set()
    for node in walk(rule):
        if isinstance(node, Field):
            found.add(Field(node.name))
        elif isinstance(node, Call):
            found.add(Call(node.name, tuple(Literal(arg.value) for arg in node.args)))
    return frozenset(found)
