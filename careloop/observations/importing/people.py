"""Person records in an import (HL7 ADT PID and NK1, FHIR Patient): the patients they name registered or
updated, before the chunk's results are matched, so that results in the same message or file belong to
them.

A person nobody matches goes through matchorder.settle_unknown_person: registered, or left waiting in the
unmatched queue (kind "patient") as a proposal staff accept or reject, saying why. A registration files
what was waiting for the person (waiting.py). A known person's record updates their details
(patients/feedupdate.py); a change to a field staff corrected by hand after the message was written is
held as a FeedReview instead. Every registration and update is audited with the message that made it.
"""

import datetime
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone

from careloop.accounts import audit
from careloop.encryption import cipher
from careloop.observations.importing.matching import Matches, remember_mrns, sent_by
from careloop.observations.importing.matchorder import REGISTER, settle_unknown_person
from careloop.observations.importing.parsed import (
    ContactRecord,
    ParseResult,
    PatientRef,
    PersonRecord,
    Problem,
    because,
)
from careloop.observations.models import FeedReview, ImportBatch
from careloop.patients import feedupdate, sameperson
from careloop.patients.actions import changed_fields
from careloop.patients.choices import RELATIONSHIPS
from careloop.patients.duplicates import registrant
from careloop.patients.idcard import IdentifierError, parse_mobile, parse_resident_id
from careloop.patients.identity import fill_derived_fields
from careloop.patients.models import FamilyLink, Patient

_RELATIONSHIPS = {value for value, _label in RELATIONSHIPS}


@dataclass
class PeopleOutcome:
    """What a chunk's person records did to the registry."""

    registered: list[tuple[PatientRef, Patient]] = field(default_factory=list)
    updated: int = 0
    for_review: int = 0
    problems: list[Problem] = field(default_factory=list)
    waiting: list[PersonRecord] = field(default_factory=list)  # to park, with matches.why saying why


def latest_people(parsed: ParseResult) -> dict[PatientRef, PersonRecord]:
    """Each person the chunk describes, by the last record of them (a feed's latest word wins)."""
    return {person.patient: person for person in parsed.people}


def settle_people(
    organization_id: int, batch: ImportBatch, parsed: ParseResult, matches: Matches, policy: str
) -> PeopleOutcome:
    """Register the chunk's people nobody matches (by `policy`), update the known ones; `matches` learns the
    registered. The people left waiting are in the outcome, `matches.why` saying why."""
    outcome = PeopleOutcome()
    people = latest_people(parsed)
    unknown: list[tuple[PersonRecord, Patient]] = []
    for ref, person in people.items():
        if ref in matches:
            continue
        if ref in matches.contradicting:
            outcome.waiting.append(person)
            continue
        patient = _new_patient(organization_id, person, outcome.problems)
        if patient is None:
            matches.why[ref] = "incomplete"
            outcome.waiting.append(person)
        else:
            unknown.append((person, patient))
    probable = _probable(organization_id, [patient for _person, patient in unknown])
    to_register = []
    for position, (person, patient) in enumerate(unknown):
        decision = settle_unknown_person(sent_by(person.patient), position in probable, policy)
        if decision.outcome == REGISTER:
            to_register.append((person, patient))
        else:
            matches.why[person.patient] = decision.why
            outcome.waiting.append(person)
    _register(batch, to_register, matches, outcome)
    registered = {ref for ref, _patient in outcome.registered}
    known = [person for ref, person in people.items() if ref in matches and ref not in registered]
    _update(organization_id, batch, known, matches, outcome)
    return outcome


def _new_patient(organization_id: int, person: PersonRecord, problems: list[Problem]) -> Patient | None:
    """The patient `person` would register as (derived fields filled), or None when the record cannot
    register anyone: no name, no birth date or an ID number that is not one (said in `problems`)."""
    ref = person.patient
    if not ref.name.strip() or ref.birth_date is None:
        return None
    if ref.id_number:
        try:
            parse_resident_id(ref.id_number)
        except IdentifierError as error:
            reason = because("is not a valid resident ID number (%(error)s)", error=error.code)
            problems.append(Problem(person.location, "id_number", "", reason, "invalid"))
            return None
    sent = _sent(person, problems)
    patient = Patient(organization_id=organization_id, **{**sent, "sex": sent["sex"] or "unknown"})
    fill_derived_fields(patient)
    return patient


def _mobile(person: PersonRecord, problems: list[Problem]) -> str:
    """The mainland mobile number sent, or "" (a number that is not one is said in `problems`)."""
    if not person.mobile:
        return ""
    try:
        return parse_mobile(person.mobile)
    except IdentifierError:
        reason = because("is not a mainland mobile number: the patient was kept without it")
        problems.append(Problem(person.location, "mobile", "", reason, "invalid"))
        return ""


def _probable(organization_id: int, patients: Sequence[Patient]) -> set[int]:
    """Positions of the `patients` (not saved) who are probably someone registered already: one query for
    the lot, by the blocking keys of duplicates.probable_pairs."""
    births = {p.birth_date for p in patients if p.birth_date is not None and p.name_pinyin}
    mobiles = {p.mobile_index for p in patients if p.mobile_index}
    if not births and not mobiles:
        return set()
    pinyins = {p.name_pinyin for p in patients if p.name_pinyin}
    near = Q(birth_date__in=births, name_pinyin__in=pinyins) | Q(mobile_index__in=mobiles)
    found = Patient.objects.filter(organization_id=organization_id, merged_into__isnull=True).filter(near)
    by_birth: dict[tuple[datetime.date, str], list[sameperson.Registrant]] = {}
    by_mobile: dict[str, list[sameperson.Registrant]] = {}
    for candidate in found.only("name", "name_pinyin", "sex", "birth_date", "mobile_index"):
        them = registrant(candidate)
        by_birth.setdefault((candidate.birth_date, candidate.name_pinyin), []).append(them)
        if candidate.mobile_index:
            by_mobile.setdefault(candidate.mobile_index, []).append(them)
    probable = set()
    for position, patient in enumerate(patients):
        new = registrant(patient)
        near_them = by_birth.get((patient.birth_date, patient.name_pinyin), [])
        near_them = near_them + by_mobile.get(patient.mobile_index, []) if patient.mobile_index else near_them
        if any(sameperson.probable_reasons(new, them) for them in near_them):
            probable.add(position)
    return probable


def _source(batch: ImportBatch, person: PersonRecord) -> dict[str, Any]:
    """The message a registration or update came from, for its audit entry."""
    return {
        "source": "feed",
        "batch": batch.pk,
        "event": person.event,
        "source_system": person.source_system,
        "message": person.source_id,
    }


def _register(
    batch: ImportBatch,
    people: list[tuple[PersonRecord, Patient]],
    matches: Matches,
    outcome: PeopleOutcome,
) -> None:
    if not people:
        return
    created = Patient.objects.bulk_create([patient for _person, patient in people])
    mrns = {}
    links = []
    for (person, _unsaved), patient in zip(people, created, strict=True):
        ref = person.patient
        matches[ref] = patient.pk
        matches.demographics[patient.pk] = (patient.sex, patient.birth_date)
        outcome.registered.append((ref, patient))
        if ref.mrn:
            mrns[(ref.mrn_system, ref.mrn)] = patient.pk
        links += _links(patient, person.contacts, set())
        audit.record(
            "patient.create",
            organization_id=patient.organization_id,
            obj=patient,
            patient_id=patient.pk,
            detail={**_source(batch, person), "contacts": len(person.contacts)},
        )
    remember_mrns(batch.organization_id, mrns)
    FamilyLink.objects.bulk_create(links)


def _links(patient: Patient, contacts: Sequence[ContactRecord], present: set[str]) -> list[FamilyLink]:
    """Family contacts for the `contacts` a feed sent, but those whose name the patient has already."""
    links = []
    for contact in contacts:
        name = contact.name.strip()[:60]
        if not name or name in present:
            continue
        present.add(name)
        relationship = contact.relationship if contact.relationship in _RELATIONSHIPS else "other"
        mobile = ""
        if contact.mobile:
            try:
                mobile = parse_mobile(contact.mobile)
            except IdentifierError:
                mobile = ""
        links.append(
            FamilyLink(patient=patient, related_name=name, related_mobile=mobile, relationship=relationship)
        )
    return links


def _sent(person: PersonRecord, problems: list[Problem]) -> dict[str, feedupdate.Value]:
    """What `person` says of the patient's fields (feedupdate.FIELDS), as the registry keeps them: an ID
    number that is not one and a mobile that is not one are left out."""
    ref = person.patient
    id_number = ""
    if ref.id_number:
        try:
            id_number = parse_resident_id(ref.id_number).number
        except IdentifierError:
            id_number = ""  # it matched no one by it, and it is not one: nothing to fill in
    return {
        "name": ref.name.strip()[:60],
        "sex": ref.sex,
        "birth_date": ref.birth_date,
        "id_number": id_number,
        "mobile": _mobile(person, problems),
        "address": person.address[:200],
    }


def _update(
    organization_id: int,
    batch: ImportBatch,
    people: list[PersonRecord],
    matches: Matches,
    outcome: PeopleOutcome,
) -> None:
    """Apply what the known people's records change; hold what staff changed by hand since."""
    if not people:
        return
    ids = {matches[person.patient] for person in people}
    patients = Patient.objects.filter(organization_id=organization_id, pk__in=ids).in_bulk()
    contacts: dict[int, set[str]] = {}
    for patient_id, name in FamilyLink.objects.filter(patient_id__in=ids).values_list(
        "patient_id", "related_name"
    ):
        contacts.setdefault(patient_id, set()).add(name)
    links: list[FamilyLink] = []
    now = timezone.now()
    for person in people:
        patient = patients[matches[person.patient]]
        ours = {name: getattr(patient, name) for name in feedupdate.FIELDS}
        edited = feedupdate.edited_times(patient.hand_edited or {})
        sent_at = person.sent_at or now
        changes = feedupdate.feed_changes(ours, _sent(person, outcome.problems), edited, sent_at)
        new_links = _links(patient, person.contacts, contacts.setdefault(patient.pk, set()))
        links += new_links
        if changes.apply or new_links:
            for name, value in changes.apply.items():
                setattr(patient, name, value)
            fill_derived_fields(patient)
            patient.save()
            outcome.updated += 1
            audit.record(
                "patient.update",
                organization_id=organization_id,
                obj=patient,
                patient_id=patient.pk,
                detail={
                    **_source(batch, person),
                    "changes": changed_fields(ours, patient),
                    "contacts": len(new_links),
                },
            )
        if changes.review and _hold(batch, patient, person, changes.review):
            outcome.for_review += 1
    FamilyLink.objects.bulk_create(links)


def _hold(batch: ImportBatch, patient: Patient, person: PersonRecord, values: dict[str, Any]) -> bool:
    """A FeedReview of `values` for `patient`, unless the same message's is waiting already."""
    waiting = FeedReview.objects.filter(
        patient=patient,
        source_system=person.source_system[:60],
        source_id=person.source_id[:120],
        resolved_at__isnull=True,
    )
    if person.source_id and waiting.exists():
        return False
    ready = {
        name: value.isoformat() if isinstance(value, datetime.date) else value
        for name, value in values.items()
    }
    review = FeedReview.objects.create(
        organization_id=patient.organization_id,
        patient=patient,
        batch=batch,
        source_system=person.source_system[:60],
        source_id=person.source_id[:120],
        event=person.event[:20],
        sent_at=person.sent_at,
        fields=list(values),
        sent_values=json.dumps(ready, ensure_ascii=False),
    )
    audit.record(
        "patient.feed_held",
        organization_id=patient.organization_id,
        obj=review,
        patient_id=patient.pk,
        detail={**_source(batch, person), "fields": list(values)},
    )
    return True


def person_fields(person: PersonRecord) -> dict[str, Any]:
    """A person record as the unmatched queue keeps it (kind "patient"): the identifiers go to the row's
    encrypted columns, the contacts' mobiles are encrypted here."""
    return {
        "event": person.event,
        "source_system": person.source_system,
        "source_id": person.source_id,
        "sent_at": person.sent_at,
        "address": person.address,
        "contacts": [
            {
                "name": contact.name,
                "relationship": contact.relationship,
                "mobile": cipher().encrypt(contact.mobile),
            }
            for contact in person.contacts
        ],
        "location": person.location,
    }
