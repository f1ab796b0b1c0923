"""The import pipeline: parsed records in, observations, reports, encounters and problems out.

Whatever the format, an import is a sequence of chunks (ParseResult). For each chunk, set-based:
match the patients, store their source identifiers, upsert exam reports, normalize results (indicator,
unit, plausibility, flag), merge them, upsert encounters, park results for unknown patients in the
unmatched queue, and record every refusal as an ImportProblem. Nothing is dropped silently. On
PostgreSQL a chunk's merge runs in the database while the next chunk is normalized and parsed
(`_import_overlapped`).

Modes: "keep_good" commits chunk by chunk (a crash loses at most the two chunks in progress, the one
merging and the next, and a re-run is idempotent); "all_or_nothing" runs the whole import in one
transaction and rolls it back if anything was refused — the refusal and its problems are still recorded.
"""

import datetime
from collections import Counter, deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, wait
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from careloop.accounts import audit
from careloop.gcpacing import fewer_collections
from careloop.logredact import redact
from careloop.observations import normalize
from careloop.observations.keylookup import key_filters, value_rows
from careloop.observations.matching import KNOWN_LIMIT, Matches, match_patients, remember_identifiers
from careloop.observations.merge import (
    COLUMNS,
    MergeCounts,
    PendingMerge,
    start_merge,
    start_stored_as_sent,
    stored_positions,
)
from careloop.observations.models import ExamReport, ImportBatch, ImportProblem, UnmatchedResult
from careloop.observations.parking import park
from careloop.observations.records import (
    RESULT_FIELDS,
    EncounterRecord,
    HeldLines,
    ParseResult,
    PatientRef,
    Problem,
    ReportRecord,
    reason_parts,
    result_row,
)
from careloop.patients.idcard import normalize_resident_id
from careloop.patients.identity import id_number_index
from careloop.patients.models import Encounter, Patient

_SOURCE_SYSTEM, _SOURCE_ID = COLUMNS.index("source_system"), COLUMNS.index("source_id")


class _RefusedWhole(Exception):
    """Raised inside the all-or-nothing transaction to roll it back."""


def _json_ready(value: object) -> object:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return value


def _unmatched_row(
    organization_id: int, batch: ImportBatch, kind: str, ref: PatientRef, fields: dict[str, Any]
) -> UnmatchedResult:
    """A result, report or visit for a patient we do not know, parked whole (its fields but the patient)."""
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
        source_system=str(fields.get("source_system") or "")[:60],
        source_id=str(fields.get("source_id") or "")[:120],
    )


def _problem_row(batch: ImportBatch, problem: Problem) -> ImportProblem:
    template, params = reason_parts(problem.reason)
    return ImportProblem(
        batch=batch,
        location=problem.location[:80],
        field=problem.field[:80],
        value=redact(str(problem.value))[:200],
        code=problem.code[:30],
        reason=redact(problem.reason)[:300],
        reason_template=template[:300],
        reason_params={name: redact(value)[:200] for name, value in params.items()},
    )


def _upsert_by_source[M: (ExamReport, Encounter)](
    queryset: QuerySet[M],
    wanted: dict[tuple[str, str], dict[str, Any]],
    build: Callable[[tuple[str, str], dict[str, Any]], M],
    fields: list[str],
    stamp: dict[str, Any] | None = None,
) -> dict[tuple[str, str], M]:
    """Create or update rows by their (source_system, source_id), set-based; unchanged rows are left alone.

    `wanted` holds the values each row should have; `stamp` (e.g. the batch) is written with a creation or a
    change but is not compared, so a re-import of the same content writes nothing.
    """
    existing: dict[tuple[str, str], M] = {}
    for keys in key_filters("source_id", [source_id for _system, source_id in wanted]):
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


def _upsert_reports(
    organization_id: int, batch: ImportBatch, reports: list[ReportRecord], matches: Matches
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


def _upsert_encounters(organization_id: int, encounters: list[EncounterRecord], matches: Matches) -> None:
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
        Encounter.objects.filter(patient__organization_id=organization_id), wanted, _new_encounter, fields
    )


@dataclass
class ImportMemo:
    """What an import learnt in its earlier chunks: which ref is which patient, and their sex and birth."""

    patients: dict[PatientRef, int] = field(default_factory=dict)
    demographics: dict[int, tuple[str, datetime.date | None]] = field(default_factory=dict)
    # Whether the last chunk's results were all new: the next one's probably are too (merge_postgres).
    only_new: bool = True


def _demographics(patient_ids: set[int], memo: ImportMemo) -> dict[int, tuple[str, datetime.date | None]]:
    known = memo.demographics
    missing = [pid for pid in patient_ids if pid not in known]
    if len(known) + len(missing) > KNOWN_LIMIT:
        known.clear()
        missing = list(patient_ids)
    for keys in key_filters("id", missing):
        for pid, sex, birth in value_rows(
            Patient.objects.filter(**keys).values_list("id", "sex", "birth_date")
        ):
            known[pid] = (sex, birth)
    return known


@dataclass
class _Chunk:
    """A chunk on its way: its patients looked up, then its results normalized into rows for the merge."""

    parsed: ParseResult
    matches: Matches
    report_ids: dict[tuple[str, str], int]
    demographics: dict[int, tuple[str, datetime.date | None]]
    rows: list[tuple[Any, ...]] = field(default_factory=list)  # merge.COLUMNS order
    problems: list[Problem] = field(default_factory=list)
    parked: list[UnmatchedResult] = field(default_factory=list)


def _start_probe(organization_id: int, held: HeldLines) -> "Future[set[int]]":
    """Start looking a chunk's held lines up among the stored observations."""
    lines = [(position, *key) for position, key in enumerate(held.keys) if key[1]]  # "": always read
    return start_stored_as_sent(organization_id, lines)


def _skip_stored(
    parsed: ParseResult, probing: "Future[set[int]]", busy: Iterable[list[tuple[Any, ...]]]
) -> None:
    """Read the chunk's held lines, all but those whose observation is stored with the line's digest.

    A key the chunk holds twice, or that a chunk merging or waiting to merge while the lookup ran writes
    (`busy`: their rows), is read whatever is stored: what is stored is about to change.
    """
    held = parsed.held
    assert held is not None
    skip = stored_positions(probing)
    if skip:
        keys = [(system, source_id) for system, source_id, _digest in held.keys]
        changing = {(row[_SOURCE_SYSTEM], row[_SOURCE_ID]) for rows in busy for row in rows}
        if len(set(keys)) != len(keys):
            changing |= {key for key, times in Counter(keys).items() if times > 1}
        if changing:
            skip = {position for position in skip if keys[position] not in changing}
    held.read(skip)


def _look_up(
    batch: ImportBatch,
    parsed: ParseResult,
    memo: ImportMemo,
    probing: "Future[set[int]] | None" = None,
    busy: Iterable[list[tuple[Any, ...]]] = (),
) -> _Chunk:
    """The database half of preparing a chunk: its patients, identifiers, sex and birth, its reports.

    Its held lines are read first, but those stored as they are, as `probing` (started earlier, or now)
    found them; `busy` are the rows of the chunks that may have been merging since it started.
    """
    organization_id = batch.organization_id
    if parsed.held is not None:
        _skip_stored(parsed, probing or _start_probe(organization_id, parsed.held), busy)
    refs = [r[0] for r in parsed.rows] + [r.patient for r in parsed.results]
    refs += [r.patient for r in parsed.reports] + [e.patient for e in parsed.encounters] + parsed.patients
    matches = match_patients(organization_id, refs, memo.patients)
    remember_identifiers(organization_id, matches)
    report_ids = _upsert_reports(organization_id, batch, parsed.reports, matches)
    memo.demographics.update(matches.demographics)
    return _Chunk(parsed, matches, report_ids, _demographics(set(matches.values()), memo))


def _normalize(batch: ImportBatch, chunk: _Chunk) -> None:
    """The Python half: results normalized into rows or refused, unknown patients' records set aside.

    Uses no database, so it runs while the previous chunk's merge is in the database's hands.
    """
    organization_id = batch.organization_id
    parsed, matches, demographics = chunk.parsed, chunk.matches, chunk.demographics
    report_ids = chunk.report_ids
    # Results travel as tuples in RESULT_FIELDS order (the parsers' fast path); records are turned into one.
    results = parsed.rows + [result_row(r) for r in parsed.results]
    problems, rows, parked = chunk.problems, chunk.rows, chunk.parked
    problems += parsed.problems
    normalize_values = normalize.normalize_values
    for row in results:
        (
            patient,
            code,
            value,
            unit,
            when,
            system,
            source_id,
            status,
            kind,
            report,
            ranges,
            _flag,
            where,
            digest,
        ) = row
        patient_id = matches.get(patient)
        if patient_id is None:
            data = dict(zip(RESULT_FIELDS, row, strict=True))
            parked.append(_unmatched_row(organization_id, batch, "result", patient, data))
            continue
        sex, birth = demographics[patient_id]
        outcome = normalize_values(code, value, unit, when, where, sex, birth)
        if type(outcome) is Problem:
            problems.append(outcome)
            continue
        rows.append(
            (
                patient_id,
                *outcome,
                status,
                kind,
                system[:60],
                source_id[:120],
                report_ids.get((system, report)) if report else None,
                ranges[:60],
                digest,
            )
        )
    for report in parsed.reports:  # the report's conclusion and package, kept until its results are matched
        if report.patient not in matches:
            parked.append(_unmatched_row(organization_id, batch, "report", report.patient, asdict(report)))
    for encounter in parsed.encounters:
        if encounter.patient not in matches:
            parked.append(
                _unmatched_row(organization_id, batch, "encounter", encounter.patient, asdict(encounter))
            )


def _start_merge(batch: ImportBatch, chunk: _Chunk, memo: ImportMemo) -> PendingMerge:
    return start_merge(batch.organization_id, batch.pk, chunk.rows, expect_new=memo.only_new)


def _finish(
    batch: ImportBatch, chunk: _Chunk, merging: PendingMerge, memo: ImportMemo
) -> tuple[MergeCounts, list[Problem], int]:
    """Wait for the chunk's merge, then store its visits and park what waits for a patient."""
    counts = merging.counts()
    memo.only_new = not (counts.updated or counts.unchanged or chunk.parsed.skipped)
    _upsert_encounters(batch.organization_id, chunk.parsed.encounters, chunk.matches)
    waiting = park(batch.organization_id, chunk.parked)
    return counts, chunk.problems, waiting


def import_chunk(
    batch: ImportBatch, parsed: ParseResult, memo: ImportMemo | None = None
) -> tuple[MergeCounts, list[Problem], int]:
    """One chunk, in the caller's transaction: merge counts, problems and the number parked as unmatched.

    `memo` carries what the import's earlier chunks learnt (see run_import).
    """
    memo = memo or ImportMemo()
    chunk = _look_up(batch, parsed, memo)
    _normalize(batch, chunk)
    return _finish(batch, chunk, _start_merge(batch, chunk, memo), memo)


def _import_overlapped(
    batch: ImportBatch,
    chunks: Iterable[ParseResult],
    memo: ImportMemo,
    finished: Callable[[_Chunk, MergeCounts, list[Problem], int], None],
    transaction_per_step: bool,
) -> None:
    """Import `chunks` in order, each one's merge running in the database while Python prepares the next.

    A step looks the next chunk's patients up, starts merging the chunk made ready in the step before, and
    while the database inserts it, normalizes the chunk looked up and parses the one after; then the ready
    chunk is finished and handed to `finished`, in the step's transaction (with the next chunk's
    identifiers and reports).

    A chunk with held lines (records.HeldLines: a re-import's lines, maybe stored already) is looked up one
    step later: the step after the one it is parsed in starts looking its lines up in the database and
    parses one more chunk meanwhile; the next step reads it. A chunk without held lines is looked up in
    the step after it is parsed, as before: a first import holds hardly any, and it ran 10 % slower when
    every chunk waited a step longer and the rows of the chunk merged before were kept for the probe.

    Parsing runs here, in the thread that waits for the database, not in a thread of its own: under the
    GIL, a parsing thread takes its turns while this one matches and copies, and sits idle while the
    database inserts (measured: matching and copying ran 2x and 3x slower beside it).
    """
    organization_id = batch.organization_id
    source = iter(chunks)
    waiting: deque[_Parsed] = deque()  # parsed, not looked up yet, in order
    first = next(source, None)
    if first is not None:
        waiting.append(_Parsed(first))
    exhausted = first is None
    ready: _Chunk | None = None
    merged: list[tuple[Any, ...]] = []  # the rows merged in the step before, maybe beside a probe
    failure: Exception | None = None
    try:
        while waiting or ready is not None:
            with transaction.atomic() if transaction_per_step else nullcontext():
                coming = None
                if waiting and waiting[0].can_look_up():
                    head = waiting.popleft()
                    busy = (merged, ready.rows if ready is not None else [])
                    coming = _look_up(batch, head.parsed, memo, head.probing, busy)
                merging = _start_merge(batch, ready, memo) if ready is not None else None
                probing: list[Future[set[int]]] = []
                try:
                    if coming is not None:
                        _normalize(batch, coming)
                    for entry in waiting:
                        if entry.parsed.held is not None and entry.probing is None:
                            entry.probing = _start_probe(organization_id, entry.parsed.held)
                            probing.append(entry.probing)
                    if not exhausted and (not waiting or (len(waiting) == 1 and waiting[0].probing)):
                        try:
                            following = next(source, None)
                        except Exception as error:  # the source broke: what it gave is still imported
                            failure, following = error, None
                        exhausted = following is None
                        if following is not None:
                            waiting.append(_Parsed(following))
                finally:
                    # Whatever happened here, the database gives the connection back before the step ends.
                    if merging is not None:
                        merging.wait()
                    wait(probing)
                if ready is not None and merging is not None:
                    finished(ready, *_finish(batch, ready, merging, memo))
            # Kept only if the next chunk's probe ran beside this merge (kept always, the import was slower).
            probed = bool(waiting) and waiting[0].probing is not None
            merged = ready.rows if ready is not None and probed else []
            ready = coming
        if failure is not None:
            raise failure
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()


@dataclass
class _Parsed:
    """A chunk parsed and waiting to be looked up, with the lookup of its held lines once started."""

    parsed: ParseResult
    probing: "Future[set[int]] | None" = None

    def can_look_up(self) -> bool:
        """Not while its held lines have not been looked up in a step before this one."""
        return self.parsed.held is None or self.probing is not None


def run_import(
    batch: ImportBatch,
    chunks: Iterable[ParseResult],
    progress: Callable[[ImportBatch], None] | None = None,
) -> tuple[ImportBatch, list[Problem]]:
    """Run an import to the end; the batch row carries the counts and status, ImportProblem rows the refusals.

    `chunks` is read while the database merges the chunk before: one that uses the database waits for it.
    """
    all_problems: list[Problem] = []
    memo = ImportMemo()

    def account(chunk: _Chunk, counts: MergeCounts, problems: list[Problem], parked: int) -> None:
        parsed = chunk.parsed
        batch.received += (
            len(parsed.rows)
            + len(parsed.results)
            + len(parsed.encounters)
            + len(parsed.problems)
            + parsed.skipped
        )
        batch.created += counts.created
        batch.updated += counts.updated
        batch.unchanged += counts.unchanged + parsed.skipped
        batch.refused += len(problems)
        batch.unmatched += parked
        all_problems.extend(problems)
        if progress:
            progress(batch)

    def record(chunk: _Chunk, counts: MergeCounts, problems: list[Problem], parked: int) -> None:
        ImportProblem.objects.bulk_create([_problem_row(batch, p) for p in problems], batch_size=1000)
        account(chunk, counts, problems, parked)
        batch.save(update_fields=ImportBatch.COUNTS)

    with fewer_collections():
        if batch.mode == "all_or_nothing":
            try:
                with transaction.atomic():
                    _import_overlapped(batch, chunks, memo, account, transaction_per_step=False)
                    if all_problems:
                        raise _RefusedWhole
                batch.status = "done"
            except _RefusedWhole:
                batch.status = "refused"
                batch.created = batch.updated = batch.unchanged = batch.unmatched = 0
        else:
            _import_overlapped(batch, chunks, memo, record, transaction_per_step=True)
            batch.status = "done"
    with transaction.atomic():
        if batch.mode == "all_or_nothing":
            ImportProblem.objects.bulk_create([_problem_row(batch, p) for p in all_problems], batch_size=1000)
        batch.finished_at = timezone.now()
        batch.save()
        audit.record(
            "import.finish",
            organization_id=batch.organization_id,
            obj=batch,
            detail={"kind": batch.kind, "status": batch.status, **batch.counts()},
        )
    return batch, all_problems
