"""The tasks a protocol makes for an anchor: the rows a dry run shows and the sweep inserts, computed once.

A planned task depends only on the protocol's steps and the anchor, so the sweep computes them per
(protocol version, anchor) and joins them to every enrolment that shares the pair.

Pure: no Django import.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from careloop.followup.protocol_reading import ProtocolDefinition, ProtocolStep
from careloop.followup.schedule import Occurrence, occurrences


@dataclass(frozen=True)
class PlannedTask:
    step: str
    number: int
    due: date
    opens: date
    closes: date
    channel: str
    content_kind: str
    content_ref: str
    assignee_kind: str  # role, responsible_doctor or user
    assignee_role: str
    assignee_username: str


def planned(
    definition: ProtocolDefinition, anchor: date, *, until: date, closing_from: date | None = None
) -> list[PlannedTask]:
    """The tasks due on or before `until`, by due date, leaving out those whose window closed before
    `closing_from` (a plan does not owe what was over before it began, or before the sweep looks back)."""
    found: list[PlannedTask] = []
    for step in definition.steps:
        for each in occurrences(anchor, step.schedule, until=until):
            if closing_from is not None and each.closes < closing_from:
                continue
            found.append(_task(step, each))
    return sorted(found, key=lambda task: (task.due, task.step, task.number))


def _task(step: ProtocolStep, each: Occurrence) -> PlannedTask:
    return PlannedTask(
        step=each.step,
        number=each.number,
        due=each.due,
        opens=each.opens,
        closes=each.closes,
        channel=step.channel,
        content_kind=step.content.kind,
        content_ref=step.content.ref,
        assignee_kind=step.assignee.kind,
        assignee_role=step.assignee.role,
        assignee_username=step.assignee.username,
    )
