"""Reading the consent ledger: what a patient agrees to now. Outreach asks `has_consent` before sending."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.functional import Promise

from careloop.patients import choices, consent
from careloop.patients.models import ConsentEvent, Patient


def _fact(purpose: str, granted: bool, at: datetime.datetime) -> consent.ConsentFact:
    return consent.ConsentFact(purpose=purpose, granted=granted, at=at)


def has_consent(patient: Patient | int, purpose: str) -> bool:
    """True when the newest event for this purpose is a grant. One query; a withdrawal counts at once."""
    patient_id = patient if isinstance(patient, int) else patient.pk
    rows = (
        ConsentEvent.objects.filter(patient_id=patient_id, purpose=purpose)
        .order_by("at", "id")  # on equal times the later row wins, as current_state keeps the last seen
        .values_list("purpose", "granted", "at")
    )
    return consent.is_granted((_fact(*row) for row in rows), purpose)


def patients_with_consent(patient_ids: Iterable[int], purpose: str) -> set[int]:
    """Of these patients, those whose newest event for the purpose is a grant. One query for the whole set."""
    rows = (
        ConsentEvent.objects.filter(patient_id__in=list(patient_ids), purpose=purpose)
        .order_by("patient_id", "at", "id")
        .values_list("patient_id", "purpose", "granted", "at")
    )
    by_patient: dict[int, list[consent.ConsentFact]] = {}
    for patient_id, fact_purpose, granted, at in rows:
        by_patient.setdefault(patient_id, []).append(_fact(fact_purpose, granted, at))
    return {patient_id for patient_id, facts in by_patient.items() if consent.is_granted(facts, purpose)}


@dataclass(frozen=True)
class PurposeState:
    purpose: str
    label: str | Promise
    latest: ConsentEvent | None  # None: never asked

    @property
    def state(self) -> str:
        if self.latest is None:
            return "never"
        return "granted" if self.latest.granted else "withdrawn"


def overview(patient: Patient) -> tuple[list[PurposeState], list[ConsentEvent]]:
    """The state of every purpose and the full ledger, newest first, from one query."""
    ledger = list(
        ConsentEvent.objects.filter(patient=patient).select_related("recorded_by").order_by("at", "id")
    )
    chosen = consent.current_state(_fact(e.purpose, e.granted, e.at) for e in ledger)
    latest: dict[str, ConsentEvent] = {}
    for event in ledger:  # the event current_state chose: the last one equal to its fact
        if chosen.get(event.purpose) == _fact(event.purpose, event.granted, event.at):
            latest[event.purpose] = event
    states = [PurposeState(code, label, latest.get(code)) for code, label in choices.CONSENT_PURPOSES]
    ledger.reverse()
    return states, ledger
