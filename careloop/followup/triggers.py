"""Enrol the patients whose protocol trigger fired: a discharge, a new diagnosis, a tag added, an abnormal
result, a questionnaire band. Run by the daily sweep and, within seconds, after each import commits.

Per active protocol version, one query finds the recent events of its trigger kind (trigger_rules.py says
how recent), for patients who may be enrolled: not merged into another record, not deceased, not moved
away, care consent not withdrawn. An event enrols its patient once: the event's row id is kept in the
enrolment's provenance (`Enrolment.trigger`), and an event some enrolment of the protocol (any version,
open or ended) already names is skipped. A patient with an open enrolment in the protocol is not
enrolled again; a later event of theirs is looked at again on each run while it is recent, and enrols
once that plan has ended.

A discharge whose date was corrected (an A08, or an A03 sent again with another time) moves the anchor of
the open enrolment it started (do_move_anchor: pending tasks take the new dates, done ones stay).

Enrolments and their first tasks are written in bulk under one lock of the patients' rows (as do_enrol
takes one): a first run on a large registry writes thousands of them in a few statements.
"""

import datetime
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from careloop.accounts import audit
from careloop.accounts.models import User
from careloop.facts.models import LatestIndicator
from careloop.facts.sources import local_midnight
from careloop.followup.actions import OPEN_STATUSES, do_move_anchor, made_through, task_rows
from careloop.followup.models import Enrolment, Protocol, Task
from careloop.followup.planning import PlannedTask, planned
from careloop.followup.protocol_reading import Trigger
from careloop.followup.stopping import withdrawn_patients
from careloop.followup.trigger_rules import diagnoses_match, event_key, lookback_days
from careloop.observations.flags import CRITICAL_HIGH, CRITICAL_LOW, HIGH, LOW
from careloop.observations.models import Observation
from careloop.observations.trends.tab import HIDDEN_STATUSES
from careloop.patients.models import Condition, Encounter, Patient, PatientTag
from careloop.questionnaires.facts import latest_scores

ABNORMAL_FLAGS = (HIGH, LOW, CRITICAL_HIGH, CRITICAL_LOW)


@dataclass(frozen=True)
class Event:
    patient_id: int
    anchor: datetime.date  # the event's local date
    provenance: dict[str, Any]  # kept in Enrolment.trigger; names the event row (trigger_rules.EVENT_FIELDS)


@dataclass
class Triggered:
    enrolled: int = 0
    moved: int = 0
    tasks: int = 0
    protocols: list[str] = field(default_factory=list)


def enrol_triggered(organization_id: int, today: datetime.date | None = None) -> Triggered:
    """Enrol the organization's patients whose trigger fired, for every protocol in use. Idempotent."""
    today = today or timezone.localdate()
    done = Triggered()
    for protocol in Protocol.objects.filter(organization_id=organization_id, status="active"):
        definition = protocol.parsed
        if definition.trigger.kind == "manual" or not definition.steps:
            continue
        since = today - datetime.timedelta(days=lookback_days(definition, today))
        events = list(_events(organization_id, definition.trigger, since, today))
        if events:
            enrolled, moved, tasks = _enrol(protocol, events, today)
            done.enrolled += enrolled
            done.moved += moved
            done.tasks += tasks
            if enrolled or moved:
                done.protocols.append(protocol.key)
    return done


def _events(org_id: int, trigger: Trigger, since: datetime.date, today: datetime.date) -> Iterator[Event]:
    """The recent events of the trigger's kind, for patients who may be enrolled: one query."""
    start = local_midnight(since)
    eligible = Q(
        patient__organization_id=org_id,
        patient__merged_into__isnull=True,
        patient__deceased_on__isnull=True,
        patient__moved_away_on__isnull=True,
    ) & ~Q(patient_id__in=withdrawn_patients(org_id))
    kind = trigger.kind
    if kind == "discharge":
        encounters = Encounter.objects.filter(
            eligible,
            encounter_class="inpatient",
            discharged_at__gte=start,
            discharged_at__lt=local_midnight(today + datetime.timedelta(days=1)),  # none planned ahead
        )
        if trigger.departments:
            encounters = encounters.filter(department__in=trigger.departments)
        if trigger.diagnosis_prefixes:
            # Narrowed in SQL to the items that may start with a prefix, then read item by item.
            narrow = Q()
            for prefix in trigger.diagnosis_prefixes:
                narrow |= Q(diagnoses__istartswith=prefix) | Q(diagnoses__icontains=f"; {prefix}")
            encounters = encounters.filter(narrow)
        for pk, patient_id, at, department, diagnoses in encounters.values_list(
            "pk", "patient_id", "discharged_at", "department", "diagnoses"
        ):
            if diagnoses_match(diagnoses, trigger.diagnosis_prefixes):
                day = timezone.localdate(at)
                provenance = {"kind": kind, "encounter": pk, "department": department, "discharged": str(day)}
                yield Event(patient_id, day, provenance)
    elif kind == "diagnosis_added":
        prefixes = Q()
        for prefix in trigger.diagnosis_prefixes:
            prefixes |= Q(icd10_code__startswith=prefix)  # codes and prefixes are upper case
        conditions = Condition.objects.filter(
            eligible, prefixes, clinical_status="active", recorded_at__gte=start
        )
        for pk, patient_id, at, code in conditions.values_list(
            "pk", "patient_id", "recorded_at", "icd10_code"
        ):
            yield Event(patient_id, timezone.localdate(at), {"kind": kind, "condition": pk, "code": code})
    elif kind == "tag_added":
        tags = PatientTag.objects.filter(
            eligible, tag__organization_id=org_id, tag__name=trigger.tag, added_at__gte=start
        )
        for pk, patient_id, at in tags.values_list("pk", "patient_id", "added_at"):
            yield Event(
                patient_id, timezone.localdate(at), {"kind": kind, "patient_tag": pk, "tag": trigger.tag}
            )
    elif kind == "abnormal_result":
        yield from _abnormal_results(org_id, trigger.code, eligible, start)
    elif kind == "questionnaire_band":
        scores = latest_scores(org_id).filter(
            eligible, code=trigger.questionnaire, band__in=trigger.bands, answered_at__gte=start
        )
        for pk, patient_id, at, band in scores.values_list("pk", "patient_id", "answered_at", "band"):
            provenance = {"kind": kind, "score": pk, "code": trigger.questionnaire, "band": band}
            yield Event(patient_id, timezone.localdate(at), provenance)


def _abnormal_results(org_id: int, code: str, eligible: Q, start: datetime.datetime) -> Iterator[Event]:
    """The patients whose latest result of the code (LatestIndicator, refreshed after each import) is
    flagged outside its reference range: an abnormal result followed by a normal one enrols no one. The
    flag is the result's own (Observation.flag, set on import from the catalogue's ranges); read through
    the latest indicators, whose index leads with (organization, code), never by scanning the results."""
    flagged = Observation.objects.filter(
        patient_id=OuterRef("patient_id"),
        code=code,
        effective_at=OuterRef("observed_at"),
        flag__in=ABNORMAL_FLAGS,
    ).exclude(status__in=HIDDEN_STATUSES)
    latest = (
        LatestIndicator.objects.filter(eligible, organization_id=org_id, code=code, observed_at__gte=start)
        .annotate(observation=Subquery(flagged.values("pk")[:1]), flag=Subquery(flagged.values("flag")[:1]))
        .filter(observation__isnull=False)
    )
    for pk, patient_id, at, flag in latest.values_list("observation", "patient_id", "observed_at", "flag"):
        provenance = {"kind": "abnormal_result", "observation": pk, "code": code, "flag": flag}
        yield Event(patient_id, timezone.localdate(at), provenance)


def _enrol(protocol: Protocol, events: list[Event], today: datetime.date) -> tuple[int, int, int]:
    """Enrol the patients of the events not used yet, newest event first; correct moved discharges."""
    org_id = protocol.organization_id
    # Most runs (each import's) find every recent event used already: they read and lock nothing more.
    new, corrections = _unused(protocol, events)
    if not new and not corrections:
        return 0, 0, 0
    patient_ids = sorted({event.patient_id for event in [*new.values(), *(e for _, e in corrections)]})
    with transaction.atomic():
        # The lock do_enrol takes: a manual enrolment of one of these patients waits for this one, and a
        # run beside this one (the sweep, an import's) finds this one's enrolments once it may look.
        doctors = dict(
            Patient.objects.select_for_update()
            .filter(pk__in=patient_ids)
            .order_by("pk")
            .values_list("pk", "responsible_doctor_id")
        )
        new, corrections = _unused(protocol, [e for e in events if e.patient_id in doctors])
        enrolments = Enrolment.objects.bulk_create(
            [
                Enrolment(
                    organization_id=org_id,
                    patient_id=event.patient_id,
                    protocol=protocol,
                    anchor=event.anchor if protocol.parsed.anchor != "enrolment_date" else today,
                    started_on=today,
                    trigger=event.provenance,
                )
                for event in new.values()
            ]
        )
        made = _make_first_tasks(protocol, enrolments, doctors, today)
        if enrolments:
            audit.record(
                "enrolment.triggered",
                organization_id=org_id,
                obj=protocol,
                detail={
                    "protocol": protocol.key,
                    "version": protocol.version,
                    "trigger": protocol.parsed.trigger.kind,
                    "enrolments": len(enrolments),
                    "tasks": made,
                },
            )
        for enrolment, event in corrections:
            _correct_discharge(enrolment, event, today)
    return len(enrolments), len(corrections), made


def _unused(
    protocol: Protocol, events: list[Event]
) -> tuple[dict[int, Event], list[tuple[Enrolment, Event]]]:
    """The newest unused event of each patient not enrolled in the protocol, and the discharges whose
    date changed since they enrolled their patient (with that enrolment)."""
    patient_ids = sorted({event.patient_id for event in events})
    known = _enrolments_by_event(protocol, patient_ids)
    open_patients = set(
        Enrolment.objects.filter(
            organization_id=protocol.organization_id,
            protocol__key=protocol.key,
            status__in=OPEN_STATUSES,
            patient_id__in=patient_ids,
        ).values_list("patient_id", flat=True)
    )
    corrections = []
    new: dict[int, Event] = {}
    for event in sorted(events, key=lambda e: e.anchor, reverse=True):
        key = event_key(event.provenance)
        used = known.get(key) if key else None
        if used is not None:
            if (
                event.provenance["kind"] == "discharge"
                and used.status in OPEN_STATUSES
                and used.trigger.get("discharged") != event.provenance["discharged"]
            ):
                corrections.append((used, event))
            continue
        if event.patient_id not in open_patients and event.patient_id not in new:
            new[event.patient_id] = event
    return new, corrections


def _enrolments_by_event(protocol: Protocol, patient_ids: list[int]) -> dict[tuple[str, int], Enrolment]:
    """The enrolments of the protocol (every version, any status) of these patients, by the event that
    started them."""
    found = {}
    enrolments = Enrolment.objects.filter(
        organization_id=protocol.organization_id, protocol__key=protocol.key, patient_id__in=patient_ids
    ).only("pk", "status", "trigger", "anchor", "protocol_id", "organization_id", "patient_id")
    for enrolment in enrolments:
        key = event_key(enrolment.trigger)
        if key is not None:
            found[key] = enrolment
    return found


def _make_first_tasks(
    protocol: Protocol, enrolments: list[Enrolment], doctors: Mapping[int, int | None], today: datetime.date
) -> int:
    """The tasks of the new enrolments up to the horizon, as do_enrol makes them; one plan per anchor."""
    if not enrolments:
        return 0
    until = made_through(protocol.organization_id, today)
    users = dict(
        User.objects.filter(organization_id=protocol.organization_id, is_active=True).values_list(
            "username", "pk"
        )
    )
    plans: dict[datetime.date, list[PlannedTask]] = {}
    rows: list[Task] = []
    for enrolment in enrolments:
        if enrolment.anchor not in plans:
            plans[enrolment.anchor] = planned(
                protocol.parsed, enrolment.anchor, until=until, closing_from=today
            )
        rows += task_rows(enrolment, doctors.get(enrolment.patient_id), plans[enrolment.anchor], users)
    Task.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return len(rows)


def _correct_discharge(enrolment: Enrolment, event: Event, today: datetime.date) -> None:
    """A corrected discharge date: the anchor follows it when the protocol anchors on it; the provenance
    records it either way. Rare (a correction per resent message), so one enrolment at a time."""
    if Enrolment.objects.get(pk=enrolment.pk).protocol.parsed.anchor == "discharge_date":
        do_move_anchor(None, enrolment, event.anchor, today=today)
    trigger = {**enrolment.trigger, "discharged": event.provenance["discharged"]}
    Enrolment.objects.filter(pk=enrolment.pk).update(trigger=trigger)
