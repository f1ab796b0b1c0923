"""A questionnaire definition as typed, frozen records, read from and written to FHIR R4 Questionnaire JSON.

Only the part of R4 that CareLoop uses is read; an element or extension outside it is reported as a
problem rather than dropped, so an import never loses content silently.

Choices that FHIR leaves open:
- Answer scores are read from the R4 extension `ordinalValue` and from the R5-style `itemWeight`
  (on the answerOption or on its valueCoding); they are always written back as `ordinalValue` on the
  answerOption, which is where the SDC IG and LHC-Forms put them.
- minValue / maxValue use the standard extensions and must have the item's own type.
- `dateTime` values must carry a time zone (R4 requires one when a time is given), so that they
  always compare.
- A repeating group is refused: answers are kept as a flat mapping linkId -> values (see
  `responses.py`), which cannot tell one repetition of a group from another.
- CareLoop's scoring rules live in one Questionnaire extension, see `scoring_rules.py`.
- `anonymous` is CareLoop's root extension `anonymous-answers` (valueBoolean): the answers are not
  to be tied to a patient (a satisfaction survey). It is written only when true, its default being false.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # scoring_rules imports this module; the annotation alone needs no runtime import
    from careloop.questionnaires.scoring_rules import ScoringRules

ITEM_TYPES = frozenset(
    {
        "group",
        "display",
        "boolean",
        "decimal",
        "integer",
        "date",
        "dateTime",
        "string",
        "text",
        "choice",
        "open-choice",
        "quantity",
    }
)
OPERATORS = ("exists", "=", "!=", ">", "<", ">=", "<=")

# A FHIR decimal keeps the JSON number it was written as, so an export repeats it unchanged.
Number = int | float


class DefinitionError(ValueError):
    """A Questionnaire could not be read; `problems` lists every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(problem) for problem in problems))


@dataclass(frozen=True)
class Problem:
    """One problem with a definition: `where` is the item's linkId, or "Questionnaire" for the root."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class Coding:
    system: str | None
    code: str
    display: str | None = None

    def same_concept(self, other: Coding) -> bool:
        """Codings match on system and code; the display is only a label."""
        return self.system == other.system and self.code == other.code


@dataclass(frozen=True)
class Quantity:
    value: Number
    unit: str | None = None
    system: str | None = None
    code: str | None = None


# What an answerOption offers: R4 also allows date, time and Reference options, which CareLoop does not use.
OptionValue = Coding | str | int


@dataclass(frozen=True)
class AnswerOption:
    value: OptionValue
    score: Number | None = None


# `kind` is the FHIR suffix of answer[x] / value[x] ("Integer", "Decimal", "Coding"...): 2 and 2.0 are
# different JSON, and the export must write back the one that was read.
EnableAnswer = bool | int | float | date | datetime | str | Coding


@dataclass(frozen=True)
class EnableWhen:
    question: str
    operator: str
    kind: str
    answer: EnableAnswer


@dataclass(frozen=True)
class Bound:
    """A minValue / maxValue: `kind` is "Integer", "Decimal", "Date" or "DateTime"."""

    kind: str
    value: Number | date | datetime


@dataclass(frozen=True)
class Item:
    link_id: str
    type: str
    text: str | None = None
    prefix: str | None = None
    code: tuple[Coding, ...] = ()
    required: bool = False
    repeats: bool = False
    read_only: bool = False
    max_length: int | None = None
    answer_options: tuple[AnswerOption, ...] = ()
    enable_when: tuple[EnableWhen, ...] = ()
    enable_behavior: str | None = None
    min_value: Bound | None = None
    max_value: Bound | None = None
    items: tuple[Item, ...] = ()

    @property
    def takes_answers(self) -> bool:
        return self.type not in ("group", "display")

    def option_for(self, value: object) -> AnswerOption | None:
        """The answerOption an answer chose, or None when it is not one of them."""
        for option in self.answer_options:
            if isinstance(option.value, Coding):
                if isinstance(value, Coding) and option.value.same_concept(value):
                    return option
            elif type(option.value) is type(value) and option.value == value:
                return option
        return None


@dataclass(frozen=True)
class Questionnaire:
    status: str
    items: tuple[Item, ...]
    url: str | None = None
    version: str | None = None
    id: str | None = None
    name: str | None = None
    title: str | None = None
    language: str | None = None
    date: str | None = None
    publisher: str | None = None
    description: str | None = None
    copyright: str | None = None
    code: tuple[Coding, ...] = ()
    scoring: ScoringRules | None = None
    anonymous: bool = False

    def walk(self) -> Iterator[tuple[Item, Item | None]]:
        """Every item, depth first in document order, with its parent (None at the top)."""
        stack: list[tuple[Item, Item | None]] = [(item, None) for item in reversed(self.items)]
        while stack:
            item, parent = stack.pop()
            yield item, parent
            stack.extend((child, item) for child in reversed(item.items))

    @cached_property
    def _index(self) -> dict[str, tuple[Item, Item | None]]:
        return {item.link_id: (item, parent) for item, parent in self.walk()}

    def item(self, link_id: str) -> Item:
        return self._index[link_id][0]

    def parent_of(self, link_id: str) -> Item | None:
        return self._index[link_id][1]

    def has_item(self, link_id: str) -> bool:
        return link_id in self._index
