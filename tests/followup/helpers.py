"""Rows the trigger, stop-rule and escalation tests share: protocols made for a test, discharges."""

import datetime
import itertools
from typing import Any

from careloop.accounts.models import Organization
from careloop.facts.sources import local_midnight
from careloop.followup.models import Protocol
from careloop.patients.models import Encounter, Patient

TODAY = datetime.date(2026, 12, 7)
DAY = datetime.timedelta(days=1)
_keys = itertools.count(1)


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return local_midnight(day) + datetime.timedelta(hours=hour)


def step(key: str, offset: str, **more: Any) -> dict[str, Any]:
    return {
        "key": key,
        "offset": offset,
        "channel": "phone",
        "content": {"kind": "script", "text": {"zh": "问候", "en": "Greet"}},
        "assignee": {"kind": "role", "role": "nurse"},
        **more,
    }


def protocol(
    organization: Organization,
    trigger: dict[str, Any],
    steps: list[dict[str, Any]] | None = None,
    anchor: str = "trigger_date",
    **more: Any,
) -> Protocol:
    """An active protocol of the organization with this trigger (day-3 and day-30 calls unless told)."""
    key = f"test-{next(_keys)}"
    return Protocol.objects.create(
        organization=organization,
        key=key,
        version=1,
        name_zh=key,
        name_en=key,
        status="active",
        definition={
            "trigger": trigger,
            "anchor": anchor,
            "steps": steps or [step("d3", "3d", window={"after": 11}), step("d30", "30d")],
            **more,
        },
    )


def discharge(
    patient: Patient, day: datetime.date, department: str = "心内科", diagnoses: str = "", **fields: Any
) -> Encounter:
    fields.setdefault("encounter_class", "inpatient")
    return Encounter.objects.create(
        patient=patient,
        admitted_at=at(day - 5 * DAY),
        discharged_at=at(day),
        department=department,
        diagnoses=diagnoses,
        source_system="his",
        source_id=f"V{next(_keys)}",
        **fields,
    )
