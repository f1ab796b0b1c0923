"""One chunk of an import, step by step: look its patients up, normalize its results, merge, finish.

The steps are apart so that `overlap.import_overlapped` can run one chunk's merge in the database while
Python prepares the next; `import_chunk` runs them one after the other for a single message.
"""

import datetime
from collections import Counter
from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from careloop.observations.criticals import critical_limits_for
from careloop.observations.flags import CriticalLimits
from careloop.observations.importing import normalize
from careloop.observations.importing.keylookup import key_filters, value_rows
from careloop.observations.importing.matching import (
    KNOWN_LIMIT,
    Matches,
    match_patients,
    mrns_learnt,
    remember_identifiers,
)
from careloop.observations.importing.merge import (
    COLUMNS,
    MergeCounts,
    MergeRows,
    PendingMerge,
    merge_time,
    start_merge,
    start_stored_as_sent,
    stored_positions,
    written_by,
)
from careloop.observations.importing.normalize import NO_CRITICAL_LIMITS
from careloop.observations.importing.parking import park
from careloop.observations.importing.parsed import (
    HeldLines,
    ParseResult,
    PatientRef,
    Problem,
)
from careloop.observations.importing.upserts import unmatched_row, upsert_encounters, upsert_reports
from careloop.observations.models import ImportBatch, UnmatchedResult
from careloop.patients.models import Patient

_SOURCE_SYSTEM, _SOURCE_ID = COLUMNS.index("source_system"), COLUMNS.index("source_id")


@dataclass
class ImportMemo:
    """What an import learnt in its earlier chunks: which ref is which patient, and their sex and birth."""

    patients: dict[PatientRef, int] = field(default_factory=dict)
    demographics: dict[int, tuple[str, datetime.date | None]] = field(default_factory=dict)
    # Whether the last chunk's results were all new: the next one's probably are too (merge_postgres).
    only_new: bool = True
    # The organization's own critical limits (criticals.critical_limits_for), read once per import.
    critical: Mapping[str, CriticalLimits] = NO_CRITICAL_LIMITS


def _demographics(
    patient_ids: set[int], memo: ImportMemo, reader: BaseDatabaseWrapper | None = None
) -> dict[int, tuple[str, datetime.date | None]]:
    known = memo.demographics
    missing = [pid for pid in patient_ids if pid not in known]
    if len(known) + len(missing) > KNOWN_LIMIT:
        known.clear()
        missing = list(patient_ids)
    for keys in key_filters("id", missing):
        for pid, sex, birth in value_rows(
            Patient.objects.filter(**keys).values_list("id", "sex", "birth_date"), reader
        ):
            known[pid] = (sex, birth)
    return known


@dataclass
class Chunk:
    """A chunk on its way: its patients looked up, then its results normalized into rows for the merge."""

    parsed: ParseResult
    matches: Matches
    report_ids: dict[tuple[str, str], int]
    demographics: dict[int, tuple[str, datetime.date | None]]
    rows: list[tuple[Any, ...]] = field(default_factory=list)  # merge.MERGE_COLUMNS order
    to_merge: MergeRows | None = None  # the rows made ready to merge, once all are normalized
    problems: list[Problem] = field(default_factory=list)
    parked: list[UnmatchedResult] = field(default_factory=list)


def start_probe(organization_id: int, held: HeldLines) -> "Future[set[int]]":
    """Start looking a chunk's held lines up among the stored observations."""
    return start_stored_as_sent(organization_id, held.keys)


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


@dataclass
class Matched:
    """A chunk whose patients are known, before anything of it is written (`record_chunk`)."""

    parsed: ParseResult
    matches: Matches
    demographics: dict[int, tuple[str, datetime.date | None]]

    def writes(self) -> bool:
        """Whether `record_chunk` writes: MRNs learnt, or exam reports."""
        return bool(self.parsed.reports) or bool(mrns_learnt(self.matches))


def match_chunk(
    batch: ImportBatch,
    parsed: ParseResult,
    memo: ImportMemo,
    probing: "Future[set[int]] | None" = None,
    busy: Iterable[list[tuple[Any, ...]]] = (),
    reader: BaseDatabaseWrapper | None = None,
) -> Matched:
    """The reading half of preparing a chunk: its patients, their sex and birth, on `reader` if given.

    Its held lines are read first, but those stored as they are, as `probing` (started earlier, or now)
    found them; `busy` are the rows of the chunks that may have been merging since it started.
    """
    organization_id = batch.organization_id
    if parsed.held is not None:
        _skip_stored(parsed, probing or start_probe(organization_id, parsed.held), busy)
    refs = [r.patient for r in parsed.results]
    refs += [r.patient for r in parsed.reports] + [e.patient for e in parsed.encounters] + parsed.patients
    matches = match_patients(organization_id, refs, memo.patients, reader)
    memo.demographics.update(matches.demographics)
    return Matched(parsed, matches, _demographics(set(matches.values()), memo, reader))


def record_chunk(batch: ImportBatch, matched: Matched) -> Chunk:
    """The writing half, on the import's own connection: identifiers learnt, exam reports upserted."""
    organization_id, parsed, matches = batch.organization_id, matched.parsed, matched.matches
    remember_identifiers(organization_id, matches)
    report_ids = upsert_reports(organization_id, batch, parsed.reports, matches)
    return Chunk(parsed, matches, report_ids, matched.demographics)


def look_up(
    batch: ImportBatch,
    parsed: ParseResult,
    memo: ImportMemo,
    probing: "Future[set[int]] | None" = None,
    busy: Iterable[list[tuple[Any, ...]]] = (),
) -> Chunk:
    """The database half of preparing a chunk (`match_chunk`, then `record_chunk`), all on one connection."""
    return record_chunk(batch, match_chunk(batch, parsed, memo, probing, busy))


def normalize_rows(batch: ImportBatch, chunk: Chunk, memo: ImportMemo) -> None:
    """The Python half: results normalized into rows or refused, unknown patients' records set aside,
    and the rows made ready to merge.

    Asks the database nothing, so it runs while the previous chunk's merge is in the database's hands.
    """
    organization_id = batch.organization_id
    parsed, matches, demographics = chunk.parsed, chunk.matches, chunk.demographics
    report_ids = chunk.report_ids
    results = parsed.results
    problems, rows, parked = chunk.problems, chunk.rows, chunk.parked
    problems += parsed.problems
    stored_values, critical = normalize.stored_values, memo.critical
    # Results come in runs of one patient's (a specimen's), and a parser hands a run one PatientRef
    # object and one time: the patient is looked up once a run, and the time made what the merge takes.
    last: PatientRef | None = None
    patient_id: int | None = None
    sex, birth = "", None
    time_of, last_when, moment = merge_time(), None, None
    # What the merge writes besides, at the end of every row: four names, not a tuple unpacked each row.
    now = timezone.now()
    written_organization, written_batch, version, written_at = written_by(organization_id, batch.pk, now)
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
        if patient is not last:
            last, patient_id = patient, matches.get(patient)
            if patient_id is not None:
                sex, birth = demographics[patient_id]
        if patient_id is None:
            data = row._asdict()
            parked.append(unmatched_row(organization_id, batch, "result", patient, data))
            continue
        stored = stored_values(code, value, unit, when, where, sex, birth, critical)
        if type(stored) is Problem:
            problems.append(stored)
            continue
        if when is not last_when:
            last_when, moment = when, time_of(when)
        rows.append(
            (
                patient_id,
                *stored,
                moment,
                status,
                kind,
                system[:60],
                source_id[:120],
                report_ids.get((system, report)) if report else None,
                ranges[:60],
                digest,
                written_organization,
                written_batch,
                version,
                written_at,
            )
        )
    chunk.to_merge = MergeRows.of(rows, now)
    for exam in parsed.reports:  # the report's conclusion and package, kept until its results are matched
        if exam.patient not in matches:
            parked.append(unmatched_row(organization_id, batch, "report", exam.patient, asdict(exam)))
    for encounter in parsed.encounters:
        if encounter.patient not in matches:
            parked.append(
                unmatched_row(organization_id, batch, "encounter", encounter.patient, asdict(encounter))
            )


def start_chunk_merge(batch: ImportBatch, chunk: Chunk, memo: ImportMemo) -> PendingMerge:
    assert chunk.to_merge is not None, "normalize_rows made its rows ready"
    return start_merge(batch.organization_id, batch.pk, chunk.to_merge, expect_new=memo.only_new)


def finish(
    batch: ImportBatch, chunk: Chunk, merging: PendingMerge, memo: ImportMemo
) -> tuple[MergeCounts, list[Problem], int]:
    """Wait for the chunk's merge, then store its visits and park what waits for a patient."""
    counts = merging.counts()
    memo.only_new = not (counts.updated or counts.unchanged or chunk.parsed.skipped)
    upsert_encounters(batch.organization_id, chunk.parsed.encounters, chunk.matches)
    waiting = park(batch.organization_id, chunk.parked)
    return counts, chunk.problems, waiting


def import_chunk(
    batch: ImportBatch, parsed: ParseResult, memo: ImportMemo | None = None
) -> tuple[MergeCounts, list[Problem], int]:
    """One chunk, in the caller's transaction: merge counts, problems and the number parked as unmatched.

    `memo` carries what the import's earlier chunks learnt (see run_import).
    """
    memo = memo or ImportMemo(critical=critical_limits_for(batch.organization_id))
    chunk = look_up(batch, parsed, memo)
    normalize_rows(batch, chunk, memo)
    return finish(batch, chunk, start_chunk_merge(batch, chunk, memo), memo)
