"""The set-based writes an import makes beside its results: exam reports and visits upserted by their
source keys, and the rows that park a record whose patient is not known yet."""

import datetime
from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from careloop.observations.importing.keylookup import IN_LISTS, KeyLookup
from careloop.observations.importing.matching import Matches
from careloop.observations.importing.parsed import EncounterRecord, PatientRef, ReportRecord
from careloop.observations.models import ExamReport, ImportBatch, UnmatchedResult
from careloop.patients.idcard import normalize_resident_id
from careloop.patients.identity import id_number_index
from careloop.patients.models import Encounter


def _json_ready(value: object) -> object:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return value


def unmatched_row(
    organization_id: int,
    batch: ImportBatch,
    kind: str,
    ref: PatientRef,
    fields: dict[str, Any],
    why: str,
) -> UnmatchedResult:
    """A result, report or visit for a patient we do not know, parked whole (its fields but the patient);
    `why` it waits (UnmatchedResult.why, matching.Matches.why_not)."""
    data = {k: _json_ready(v) for k, v in fields.items() if k != "patient"}
    return UnmatchedResult(
        organization_id=organization_id,
        batch=batch,
        kind=kind,
        patient_name=ref.name[:60],
        patient_birth_date=ref.birth_date,
        patient_sex=ref.sex,
        patient_mrn=ref.mrn[:60],
        patient_mrn_system=ref.mrn_system[:60],
        patient_id_number=normalize_resident_id(ref.id_number) if ref.id_number else "",
        patient_id_number_index=id_number_index(ref.id_number) if ref.id_number else "",
        record=data,
        why=why,
        source_system=str(fields.get("source_system") or "")[:60],
        source_id=str(fields.get("source_id") or "")[:120],
    )


def _upsert_by_source[M: (ExamReport, Encounter)](
    queryset: QuerySet[M],
    wanted: dict[tuple[str, str], dict[str, Any]],
    build: Callable[[tuple[str, str], dict[str, Any]], M],
    fields: list[str],
    stamp: dict[str, Any] | None = None,
    lookup: KeyLookup = IN_LISTS,
) -> dict[tuple[str, str], M]:
    """Create or update rows by their (source_system, source_id), set-based; unchanged rows are left alone.

    `wanted` holds the values each row should have; `stamp` (e.g. the batch) is written with a creation or a
    change but is not compared, so a re-import of the same content writes nothing.
    """
    existing: dict[tuple[str, str], M] = {}
    for keys in lookup.filters("source_id", [source_id for _system, source_id in wanted]):
        for row in queryset.filter(**keys):
            key = (row.source_system, row.source_id)
            if key in wanted:
                existing[key] = row
    new, changed = [], []
    for key, values in wanted.items():
        current = existing.get(key)
        if current is None:
            new.append(build(key, {**values, **(stamp or {})}))
        elif any(getattr(current, name) != value for name, value in values.items()):
            for name, value in {**values, **(stamp or {})}.items():
                setattr(current, name, value)
            changed.append(current)
    queryset.model.objects.bulk_create(new, batch_size=1000)
    if changed:
        queryset.model.objects.bulk_update(changed, fields)
    return {**existing, **{(row.source_system, row.source_id): row for row in new}}


def upsert_reports(
    organization_id: int,
    batch: ImportBatch,
    reports: list[ReportRecord],
    matches: Matches,
    lookup: KeyLookup = IN_LISTS,
) -> dict[tuple[str, str], int]:
    wanted = {
        (r.source_system, r.source_id): {
            "patient_id": matches[r.patient],
            "issued_at": r.issued_at,
            "institution": r.institution[:120],
            "package": r.package[:120],
            "conclusion": r.conclusion,
            "status": r.status,
        }
        for r in reports
        if r.patient in matches
    }
    rows = _upsert_by_source(
        ExamReport.objects.filter(organization_id=organization_id),
        wanted,
        lambda key, values: ExamReport(
            organization_id=organization_id, source_system=key[0], source_id=key[1], **values
        ),
        ["patient_id", "issued_at", "institution", "package", "conclusion", "status", "batch"],
        stamp={"batch": batch},
        lookup=lookup,
    )
    return {key: row.pk for key, row in rows.items()}


def _encounter_values(records: list[EncounterRecord], patient_id: int) -> dict[str, Any]:
    """Fold a visit's events in order (admit, updates, discharge): later non-empty fields win."""
    values: dict[str, Any] = {"patient_id": patient_id}
    for record in records:
        for name, value in (
            ("encounter_class", record.encounter_class),
            ("admitted_at", record.admitted_at),
            ("discharged_at", record.discharged_at),
            ("department", record.department[:60]),
            ("diagnoses", record.diagnoses[:300]),
            ("procedures", record.procedures[:300]),
        ):
            if value:
                values[name] = value
    return values


def _new_encounter(key: tuple[str, str], values: dict[str, Any]) -> Encounter:
    # An update or discharge may arrive before (or without) its admission: the visit still needs a start.
    start = values.get("admitted_at") or values.get("discharged_at") or timezone.now()
    return Encounter(source_system=key[0], source_id=key[1], **{**values, "admitted_at": start})


def upsert_encounters(
    organization_id: int, encounters: list[EncounterRecord], matches: Matches, lookup: KeyLookup = IN_LISTS
) -> None:
    events: dict[tuple[str, str], list[EncounterRecord]] = {}
    for record in encounters:
        if record.patient in matches:
            events.setdefault((record.source_system, record.source_id), []).append(record)
    wanted = {
        key: _encounter_values(records, matches[records[-1].patient]) for key, records in events.items()
    }
    fields = [
        "patient_id",
        "encounter_class",
        "admitted_at",
        "discharged_at",
        "department",
        "diagnoses",
        "procedures",
    ]
    _upsert_by_source(
        Encounter.objects.filter(patient__organization_id=organization_id),
        wanted,
        _new_encounter,
        fields,
        lookup=lookup,
    )
