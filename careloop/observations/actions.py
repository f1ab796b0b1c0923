"""The import's actions: running an import of any input, starting an upload, filing parked results.

`do_import` is the only way an import runs: the command line, the upload's background task, the MLLP
listener, matching from the unmatched queue and the demo all call it. Each action writes its audit entries.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from careloop.accounts import audit
from careloop.accounts.models import Organization, User
from careloop.observations.catalogue import Indicator
from careloop.observations.importing.inputs import ImportInput, RecordsInput
from careloop.observations.importing.matching import remember_mrns
from careloop.observations.importing.parsed import ParseResult, PatientRef, Problem
from careloop.observations.importing.pipeline import run_import
from careloop.observations.importing.waiting import add_to_chunk, split_by_agreement, waiting_for
from careloop.observations.models import CriticalLimit, ImportBatch, UnmatchedResult
from careloop.observations.sources import formats
from careloop.patients.models import Patient

MODES = ("keep_good", "all_or_nothing")


@dataclass(frozen=True)
class ImportOutcome:
    batch: ImportBatch  # its status and counts
    problems: list[Problem]  # the refusals stored (the batch counts those past the cap by kind)


def do_import(
    actor: User | None,
    organization: Organization,
    source: ImportInput,
    mode: str = "keep_good",
    *,
    batch: ImportBatch | None = None,
    progress: Callable[[ImportBatch], None] | None = None,
) -> ImportOutcome:
    """Import `source` into `organization`'s records; the batch row carries the outcome.

    `actor` is the user who started it, None for the command line and the listener (the audit context
    names those). `batch` is the record of an upload made when it was queued (`do_start_import`);
    otherwise one is made here, with its "import.start" entry. `run_import` writes "import.finish".
    """
    if mode not in MODES:
        raise ValueError(f"import mode {mode!r}: one of {', '.join(MODES)}")
    if batch is None:
        with transaction.atomic():
            batch = _record_start(actor, organization.pk, source.kind, source.origin, source.label, mode)
    matched = source.matched if isinstance(source, RecordsInput) else None
    batch, problems = run_import(batch, source.chunks(organization.pk), progress, matched)
    return ImportOutcome(batch, problems)


def _record_start(
    actor: User | None, organization_id: int, kind: str, origin: str, filename: str, mode: str
) -> ImportBatch:
    """The batch of an import about to run, and its "import.start" entry (in the caller's transaction)."""
    batch = ImportBatch.objects.create(
        organization_id=organization_id,
        kind=kind,
        origin=origin,
        filename=filename[:200],
        mode=mode,
        started_by=actor,
    )
    audit.record(
        "import.start",
        organization_id=organization_id,
        obj=batch,
        actor=actor,
        detail={"file": batch.filename, "origin": origin, "mode": mode},
    )
    return batch


def stored_path(batch: ImportBatch) -> Path:
    return Path(settings.IMPORT_DIR) / f"{batch.pk}{Path(batch.filename).suffix.lower()}"


def do_start_import(
    user: User, upload: UploadedFile[bytes], mode: str, source_system: str, mapping: dict[str, str]
) -> ImportBatch:
    """Save the upload where only the worker reads it, record the batch, and queue the import."""
    from careloop.observations.tasks import run_import_file

    if user.organization_id is None:  # the views' permission check already needs an organization
        raise PermissionDenied("import without an organization")
    name = upload.name or ""  # UploadForm refuses a file without a supported name
    with transaction.atomic():
        kind = formats.kind_for(name)
        batch = _record_start(user, user.organization_id, kind, "upload", os.path.basename(name), mode)
        path = stored_path(batch)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            for piece in upload.chunks():
                handle.write(piece)
        transaction.on_commit(lambda: run_import_file.enqueue(batch.pk, source_system.strip(), mapping))
    return batch


@transaction.atomic
def do_match_unmatched(user: User, item: UnmatchedResult, patient: Patient) -> int:
    """File a parked result (and every other open one naming the same person) under `patient`."""
    same = UnmatchedResult.objects.select_for_update().filter(
        organization_id=item.organization_id, resolved_at__isnull=True
    )
    if item.patient_id_number_index:
        same = same.filter(patient_id_number_index=item.patient_id_number_index)
    elif item.patient_mrn:
        same = same.filter(patient_mrn_system=item.patient_mrn_system, patient_mrn=item.patient_mrn)
    else:
        same = same.filter(pk=item.pk)
    return _file(user, item, list(same), patient)


@transaction.atomic
def do_file_waiting_for(user: User, patient: Patient, sent_by: int | None = None) -> int:
    """What waited for `patient`, just registered by hand: filed under the patient where the name, sex and
    birth date sent agree with the patient's; where they contradict it, left waiting and marked so, for a
    person to decide (sameperson.py). What waited is what names the patient's ID number, and, when the
    registration was filled from a queue entry (`sent_by`), what names the entry's MRN. Returns the
    results and visits filed."""
    ref = PatientRef(id_number=patient.id_number)
    if sent_by is not None:
        entry = UnmatchedResult.objects.filter(
            organization_id=patient.organization_id, resolved_at__isnull=True, pk=sent_by
        ).first()
        if entry is not None and entry.patient_mrn:
            ref = ref._replace(mrn=entry.patient_mrn, mrn_system=entry.patient_mrn_system)
    if not patient.id_number_index and not ref.mrn:
        return 0
    agreeing, _contradicting = split_by_agreement(
        waiting_for(patient.organization_id, [(ref, patient)]), patient
    )
    if not agreeing:
        return 0
    return _file(user, agreeing[0], agreeing, patient)


def _file(user: User, item: UnmatchedResult, items: list[UnmatchedResult], patient: Patient) -> int:
    """Import `items` (parked records of one person; `item` is the one staff chose) as `patient`'s and mark
    them filed. Returns the results and visits filed."""
    # The records are the chosen patient's whatever identifiers they carry (the patient may have none);
    # the source's MRN is remembered for the messages to come, unless it names someone already.
    ref = PatientRef(id_number=patient.id_number, mrn=item.patient_mrn, mrn_system=item.patient_mrn_system)
    if item.patient_mrn:
        remember_mrns(patient.organization_id, {(item.patient_mrn_system, item.patient_mrn): patient.pk})
    chunk = ParseResult()
    add_to_chunk(chunk, items, ref)
    kind = item.batch.kind if item.batch else "fhir"
    records = RecordsInput(kind, "match", lambda: [chunk], matched={ref: patient.pk})
    outcome = do_import(user, patient.organization, records)
    now = timezone.now()
    UnmatchedResult.objects.filter(pk__in=[p.pk for p in items]).update(
        resolved_patient=patient, resolved_at=now, resolved_by=user
    )
    # Reports ride along with their results; a person record updates the patient.
    filed = sum(1 for parked in items if parked.kind not in ("report", "patient"))
    audit.record(
        "import.match",
        organization_id=item.organization_id,
        obj=item,
        patient_id=patient.pk,
        detail={
            "results": filed,
            "reports": sum(1 for parked in items if parked.kind == "report"),
            "people": sum(1 for parked in items if parked.kind == "patient"),
            "created": outcome.batch.created,
            "refused": outcome.batch.refused,
        },
    )
    return filed


@transaction.atomic
def do_reject_registration(user: User, item: UnmatchedResult) -> None:
    """A person a feed named (a held registration, a probable duplicate) is not to be registered: the entry
    is closed. What waits for the person keeps waiting."""
    UnmatchedResult.objects.filter(pk=item.pk).update(resolved_at=timezone.now(), resolved_by=user)
    audit.record(
        "unmatched.reject",
        organization_id=item.organization_id,
        obj=item,
        detail={"why": item.why, "source_system": item.source_system, "message": item.source_id},
    )


@transaction.atomic
def do_set_critical_limits(
    user: User, organization_id: int, indicator: Indicator, low: float | None, high: float | None
) -> CriticalLimit | None:
    """Set the organization's own limits for `indicator`; both None puts the catalogue's back.

    The caller has checked them (flags.critical_limits_problem) unless both are None.
    """
    existing = (
        CriticalLimit.objects.select_for_update()
        .filter(organization_id=organization_id, code=indicator.code)
        .first()
    )
    before = None if existing is None else [existing.low, existing.high]
    if low is None and high is None:
        if existing is None:
            return None
        existing.delete()
        limit = None
    else:
        limit = existing or CriticalLimit(organization_id=organization_id, code=indicator.code)
        limit.low, limit.high, limit.updated_by = low, high, user
        limit.save()
    audit.record(
        "critical_limits.set",
        organization_id=organization_id,
        obj=limit,
        detail={"code": indicator.code, "before": before, "after": None if limit is None else [low, high]},
    )
    return limit
