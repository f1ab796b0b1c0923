"""The date arithmetic and matching behind triggers, stop rules and escalation, apart from the database.

- Which events still enrol: an event (a discharge, a diagnosis, a tag, a result, a score) enrols a patient
  only while it is recent: within `lookback_days` of today. A three-year-old discharge imported today
  starts no plan; a discharge the sweep missed for a few days (a late feed, a day without a sweep) still
  does. The window is NEW_EVENT_DAYS, or longer when the plan is anchored on the event and its first
  contacts come later than that (a protocol whose first call is 90 days after discharge still owes it to
  a patient discharged 60 days ago).
- When a plan is over (`plan_over_through`): every occurrence of its finite steps is due before today.
- When a task climbs the escalation ladder (`rung_after_days`): rung k is reached once the task has been
  open for the sum of the first k rungs' `after_days` without anyone being reached.

Pure: no Django import (tests/followup/test_pure_modules.py).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from typing import Any

from careloop.followup.protocol_reading import ProtocolDefinition, Rung
from careloop.followup.schedule import occurrence

# An event is "new" for a month: long enough that a missed sweep or a late import still enrols, short
# enough that switching a protocol on does not enrol the organization's history.
NEW_EVENT_DAYS = 30
_ITEM_SEPARATOR = re.compile("[;,\uff1b\uff0c]")  # and their full-width forms


def lookback_days(definition: ProtocolDefinition, today: datetime.date) -> int:
    """How many days old an event may be and still enrol in this protocol. A plan anchored on the
    enrolment date starts today whatever the event's age: only the month applies to it."""
    if definition.anchor == "enrolment_date":
        return NEW_EVENT_DAYS
    latest_first_close = 0
    for step in definition.steps:
        first = occurrence(today, step.schedule, 0)
        latest_first_close = max(latest_first_close, (first.closes - today).days)
    return max(NEW_EVENT_DAYS, latest_first_close)


def diagnoses_match(diagnoses: str, prefixes: Iterable[str]) -> bool:
    """Whether the encounter's diagnoses ("I21.0 急性心肌梗死; I10 原发性高血压", as the HL7 and FHIR readers
    write them: code, then text, items joined by "; ") name a code starting with one of the prefixes.
    No prefixes: any diagnoses match. A code is the first word of an item, compared in upper case."""
    wanted = tuple(prefix.upper() for prefix in prefixes)
    if not wanted:
        return True
    for item in _ITEM_SEPARATOR.split(diagnoses):
        words = item.split()
        if words and words[0].upper().startswith(wanted):
            return True
    return False


def event_key(trigger: Mapping[str, Any]) -> tuple[str, int] | None:
    """The event an enrolment's provenance names, as (kind, id): an event enrols a patient once."""
    kind = trigger.get("kind")
    field = EVENT_FIELDS.get(str(kind))
    if field is None or not isinstance(trigger.get(field), int):
        return None
    return str(kind), int(trigger[field])


# The provenance field that names each trigger kind's event row.
EVENT_FIELDS = {
    "discharge": "encounter",
    "diagnosis_added": "condition",
    "tag_added": "patient_tag",
    "abnormal_result": "observation",
    "questionnaire_band": "score",
}


def plan_over_through(definition: ProtocolDefinition, today: datetime.date) -> datetime.date | None:
    """The latest anchor whose plan is over today (every occurrence due before today); None when a step
    recurs without end or the protocol has no steps. A later anchor never ends sooner (due dates only
    move forward with the anchor), so the answer is found by bisection over anchors."""
    steps = definition.schedule
    if not steps or any(step.count is None for step in steps):
        return None

    def last_due(anchor: datetime.date) -> datetime.date:
        return max(occurrence(anchor, step, (step.count or 1) - 1).due for step in steps)

    low = today - datetime.timedelta(days=366 * 200)  # over, whatever the plan
    high = today  # not over: an anchor of today has every offset ≥ 0 days ahead
    if last_due(high) < today:
        return high
    while (high - low).days > 1:
        middle = low + datetime.timedelta(days=(high - low).days // 2)
        if last_due(middle) < today:
            low = middle
        else:
            high = middle
    return low


def rung_after_days(ladder: Iterable[Rung]) -> list[int]:
    """The days a task must have been open, unanswered, to reach each rung (1, 2, …): cumulative."""
    total, reached = 0, []
    for rung in ladder:
        total += rung.after_days
        reached.append(total)
    return reached
