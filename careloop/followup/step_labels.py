"""How a step is named to people: "Day 3 call", "Quarterly visit #2", "Agreed call-back", instead of its
key ("call-d3"). This module chooses the wording's form and numbers; the caller turns them into words in
the page's language with gettext (templatetags/followup_tags.py), so the Chinese reads naturally.

A step that happens once is named by its offset from the anchor (day, week, month or year N); a step
that recurs is named by its cadence and the occurrence (#1, #2 …), since "month 3" would be wrong for
the second visit. A key the protocol version does not have (a step since removed) keeps its key.

Pure: no Django import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from careloop.followup.protocol_reading import ProtocolStep
from careloop.followup.schedule import Interval

AGREED_STEP = "extra"  # contacts.EXTRA_STEP: a contact agreed with the patient, outside the schedule

Form = Literal[
    "day", "week", "month", "year",  # once, N units after the anchor
    "weekly", "monthly", "quarterly", "half_yearly", "yearly", "recurring",  # recurring, by cadence
    "agreed", "unknown",
]  # fmt: skip

# A recurrence's interval, as days or months, named by its cadence word.
_CADENCES: dict[tuple[int, str], Form] = {
    (1, "week"): "weekly",
    (7, "day"): "weekly",
    (1, "month"): "monthly",
    (3, "month"): "quarterly",
    (6, "month"): "half_yearly",
    (12, "month"): "yearly",
    (1, "year"): "yearly",
}


@dataclass(frozen=True)
class StepWording:
    form: Form
    amount: int = 0  # the N of "day N" (once-only forms)
    channel: str = ""  # the step's channel: phone, sms, wechat, portal, visit
    occurrence: int = 0  # 1-based occurrence of a recurring step; 0 when not shown
    key: str = ""  # the raw key, for the "unknown" form


def word_step(step: ProtocolStep | None, key: str, number: int) -> StepWording:
    """The wording of occurrence `number` (0-based) of the step with `key`; `step` is the protocol
    version's step of that key, None when it has none."""
    if key == AGREED_STEP:
        return StepWording("agreed", channel="phone")
    if step is None:
        return StepWording("unknown", key=key)
    phases = step.schedule.phases
    if not phases:
        offset = step.schedule.offset
        return StepWording(_once_form(offset), amount=offset.amount, channel=step.channel)
    every = phases[0].every
    cadence = _CADENCES.get((every.amount, every.unit), "recurring")
    return StepWording(cadence, channel=step.channel, occurrence=number + 1)


def _once_form(offset: Interval) -> Form:
    return offset.unit
