"""Schedule arithmetic of follow-up protocols: when each task of an enrolment falls due, and its window.

A protocol step is due at an offset from the enrolment's anchor (a discharge date, an enrolment date), then
may recur in phases ("monthly three times, then every three months"). Every occurrence is computed from
the anchor directly, never from the previous occurrence, so months do not drift: from 31 January, monthly
occurrences fall on 28 (or 29) February, 31 March, 30 April, 31 May. An occurrence is named by (step,
number), which is the natural key of its task: when the anchor moves (a corrected discharge date), the
caller recomputes the pending occurrences by those keys and leaves the done ones alone.

Pure: dates in, dates out; no Django import.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

Unit = Literal["day", "week", "month", "year"]
UNITS: dict[str, Unit] = {"d": "day", "w": "week", "m": "month", "y": "year"}
_INTERVAL = re.compile(r"^\s*(\d{1,4})\s*([dwmy])\s*$")
# A protocol without an end still stops somewhere: no plan asks for more occurrences of one step.
MAX_OCCURRENCES = 1000


@dataclass(frozen=True)
class Interval:
    amount: int
    unit: Unit

    @classmethod
    def parse(cls, text: str) -> Interval:
        """The text form protocols are written in: "3d", "2w", "1m", "1y"."""
        match = _INTERVAL.match(text)
        if match is None:
            raise ValueError(f"{text!r} is not an interval: write a number and d, w, m or y, as in 3d or 1m")
        return cls(int(match[1]), UNITS[match[2]])

    def __str__(self) -> str:
        return f"{self.amount}{self.unit[0]}"

    def after(self, start: date, times: int = 1) -> date:
        """`start` moved on by `times` intervals; a month or year that lacks the day ends on its last day."""
        count = self.amount * times
        if self.unit == "day":
            return start + timedelta(days=count)
        if self.unit == "week":
            return start + timedelta(weeks=count)
        months = count if self.unit == "month" else 12 * count
        year, month = divmod(start.month - 1 + months, 12)
        year += start.year
        return date(year, month + 1, min(start.day, calendar.monthrange(year, month + 1)[1]))


@dataclass(frozen=True)
class Phase:
    """Recurrences of a step after its first occurrence: every `every`, `times` times (None: no end)."""

    every: Interval
    times: int | None = None


@dataclass(frozen=True)
class Step:
    key: str
    offset: Interval  # the first occurrence, from the anchor ("0d": the anchor day itself)
    before: int = 0  # days before the due date that the task may already be done
    after: int = 0  # days after it that it still counts as on time
    phases: tuple[Phase, ...] = ()

    def __post_init__(self) -> None:
        if self.before < 0 or self.after < 0:
            raise ValueError(f"step {self.key}: a window cannot be negative")
        if any(phase.times is None for phase in self.phases[:-1]):
            raise ValueError(f"step {self.key}: only the last phase may recur without end")
        if any(phase.every.amount <= 0 for phase in self.phases):
            raise ValueError(f"step {self.key}: a recurrence must move forward")

    @property
    def count(self) -> int | None:
        """How many occurrences the step has in all; None when it recurs without end."""
        if any(phase.times is None for phase in self.phases):
            return None
        return 1 + sum(phase.times or 0 for phase in self.phases)


@dataclass(frozen=True)
class Occurrence:
    step: str
    number: int  # 0 for the first; (step, number) is the task's natural key
    due: date
    opens: date
    closes: date

    def status_on(self, today: date) -> Literal["upcoming", "open", "overdue"]:
        if today < self.opens:
            return "upcoming"
        return "open" if today <= self.closes else "overdue"


def occurrence(anchor: date, step: Step, number: int) -> Occurrence:
    """The step's occurrence `number` for this anchor; IndexError past the step's last one."""
    if number < 0 or (step.count is not None and number >= step.count):
        raise IndexError(f"step {step.key} has no occurrence {number}")
    due = start = step.offset.after(anchor)
    left = number
    for phase in step.phases:
        if phase.times is None or left <= phase.times:
            due = phase.every.after(start, left)
            break
        left -= phase.times
        start = phase.every.after(start, phase.times)
    return Occurrence(
        step.key, number, due, due - timedelta(days=step.before), due + timedelta(days=step.after)
    )


def occurrences(anchor: date, step: Step, *, until: date) -> Iterator[Occurrence]:
    """The step's occurrences in order, those due on or before `until` (a plan's end, the sweep's horizon)."""
    limit = MAX_OCCURRENCES if step.count is None else min(step.count, MAX_OCCURRENCES)
    for number in range(limit):
        found = occurrence(anchor, step, number)
        if found.due > until:
            return
        yield found


def plan(anchor: date, steps: tuple[Step, ...] | list[Step], *, until: date) -> list[Occurrence]:
    """Every occurrence of every step up to `until`, by due date: what a dry run shows before enrolling."""
    keys = [step.key for step in steps]
    if len(set(keys)) != len(keys):
        raise ValueError("each step of a protocol needs its own key")
    found = [each for step in steps for each in occurrences(anchor, step, until=until)]
    return sorted(found, key=lambda each: (each.due, keys.index(each.step), each.number))


def rescheduled(
    new_anchor: date, steps: tuple[Step, ...] | list[Step], pending: list[tuple[str, int]]
) -> dict[tuple[str, int], Occurrence]:
    """The pending occurrences, by their (step, number), as they fall from a moved anchor. Occurrences that
    were done are not passed in and keep their dates; a key the protocol no longer has is left out."""
    by_key = {step.key: step for step in steps}
    moved = {}
    for key, number in pending:
        step = by_key.get(key)
        if step is not None and (step.count is None or number < step.count):
            moved[(key, number)] = occurrence(new_anchor, step, number)
    return moved
