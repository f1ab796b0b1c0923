"""One chunk of an import, step by step: its patients matched, its results normalized into rows, and what
is not a result (identifiers learnt, exam reports, visits, records parked for unknown patients) stored.

`prepare_chunk` runs before the chunk's rows are merged, `finish_chunk` after; `import_chunk` runs the
three for a single message in the caller's transaction. pipeline.run_import runs a whole import.
"""

import datetime
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from django.utils import timezone

from careloop.observations.criticals import critical_limits_for
from careloop.observations.importing.matching import (
    KNOWN_LIMIT,
    Matches,
    match_patients,
    match_registered,
    remember_identifiers,
)
from careloop.observations.importing.matchorder import POLICY_REGISTER
from careloop.observations.importing.merges import apply_merges, merge_refs, redirect
from careloop.observations.importing.normalize import Normalizer
from careloop.observations.importing.parking import park
from careloop.observations.importing.parsed import ParseResult, PatientRef, Problem, because
from careloop.observations.importing.people import PeopleOutcome, person_fields, settle_people
from careloop.observations.importing.rows import ObservationRow
from careloop.observations.importing.store import MergeCounts, ObservationStore, PendingLookup, open_store
from careloop.observations.importing.upserts import unmatched_row, upsert_encounters, upsert_reports
from careloop.observations.importing.waiting import Filed, file_for_registered, mark_filed
from careloop.observations.models import FeedPolicy, ImportBatch, UnmatchedResult
from careloop.patients.models import Patient

Demographics = tuple[str, datetime.date | None]  # a patient's sex and birth date, what a flag depends on


@dataclass
class ImportContext:
    """What an import carries from chunk to chunk: where it writes, how it normalizes (one Normalizer for
    the whole import: the same clock and critical limits for every chunk), and the patients it has matched."""

    batch: ImportBatch
    store: ObservationStore
    normalizer: Normalizer
    policy: str = POLICY_REGISTER  # what a feed may do with a person nobody matches (FeedPolicy)
    patients: dict[PatientRef, int] = field(default_factory=dict)
    demographics: dict[int, Demographics] = field(default_factory=dict)

    @classmethod
    def start(
        cls, batch: ImportBatch, store: ObservationStore, matched: Mapping[PatientRef, int] | None = None
    ) -> "ImportContext":
        """`matched`: refs known to be these patients before any lookup (a record filed by hand)."""
        critical = critical_limits_for(batch.organization_id)
        policy = FeedPolicy.unknown_patients_for(batch.organization_id)
        return cls(batch, store, Normalizer(timezone.now(), critical), policy, dict(matched or {}))

    @property
    def organization_id(self) -> int:
        return self.batch.organization_id


@dataclass
class PreparedChunk:
    """A chunk whose rows are ready to merge; what else it holds is stored by `finish_chunk`."""

    parsed: ParseResult
    matches: Matches
    rows: list[ObservationRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    parked: list[UnmatchedResult] = field(default_factory=list)
    reported: set[PatientRef] = field(default_factory=set)  # refs whose contradiction is a problem already
    people: PeopleOutcome = field(default_factory=PeopleOutcome)
    filed: list[Filed] = field(default_factory=list)  # queue entries brought in (waiting.py)


def lines_to_skip(keys: list[tuple[str, str]], stored_as_sent: set[int]) -> set[int]:
    """Of the held lines with these natural keys, the positions to skip: those stored as they are
    (`stored_as_sent`), but a key held twice in the chunk: its last line must win."""
    if not stored_as_sent:
        return stored_as_sent
    twice = {key for key, times in Counter(keys).items() if times > 1}
    return {position for position in stored_as_sent if keys[position] not in twice}


def _read_held(context: ImportContext, parsed: ParseResult, lookup: PendingLookup | None) -> None:
    held = parsed.held
    if held is None:
        return
    if lookup is None:
        lookup = context.store.look_up_held(context.organization_id, held.keys)
    stored = lookup.positions()
    held.read(lines_to_skip([(system, source_id) for system, source_id, _digest in held.keys], stored))


def _demographics(context: ImportContext, matches: Matches) -> dict[int, Demographics]:
    """Sex and birth date of every matched patient: those the match read, those known, the rest read."""
    known = context.demographics
    if len(known) > KNOWN_LIMIT:
        known.clear()
    known.update(matches.demographics)
    missing = [pid for pid in set(matches.values()) if pid not in known]
    lookup = context.store.lookup
    for filters in lookup.filters("id", missing):
        for pid, sex, birth in lookup.rows(
            Patient.objects.filter(**filters).values_list("id", "sex", "birth_date")
        ):
            known[pid] = (sex, birth)
    return known


def prepare_chunk(
    context: ImportContext, parsed: ParseResult, held: PendingLookup | None = None
) -> PreparedChunk:
    """Read the chunk's held lines (but those stored as they are), match its patients, store the MRNs learnt
    and its exam reports, and normalize its results into rows or refuse them.

    `held`: the look-up of the chunk's held lines, if the caller started it (else it is started here),
    after every merge of the chunks before.
    """
    organization_id, batch, lookup = context.organization_id, context.batch, context.store.lookup
    _read_held(context, parsed, held)
    refs = [r.patient for r in parsed.results]
    refs += [r.patient for r in parsed.reports] + [e.patient for e in parsed.encounters]
    refs += [person.patient for person in parsed.people] + merge_refs(parsed.merges)
    matches = match_patients(organization_id, refs, context.patients, lookup)
    chunk = PreparedChunk(parsed, matches, problems=list(parsed.problems))
    if parsed.people:
        _settle_people(context, chunk, refs)
    if parsed.merges:
        merged, not_merged = apply_merges(batch, parsed.merges, matches)
        chunk.problems += not_merged
        redirect(matches, merged)
        redirect(context.patients, merged)
    demographics = _demographics(context, matches)
    remember_identifiers(organization_id, matches)
    report_ids = upsert_reports(organization_id, batch, parsed.reports, matches, lookup)
    normalize = context.normalizer.normalize
    # Results come in runs of one patient's (a specimen's), and a parser hands a run one PatientRef
    # object: the patient is looked up once a run.
    last: PatientRef | None = None
    patient_id: int | None = None
    sex, birth = "", None
    rows = chunk.rows
    for record in parsed.results:
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
            _abnormal_flag,
            where,
            digest,
        ) = record
        if patient is not last:
            last, patient_id = patient, matches.get(patient)
            if patient_id is not None:
                sex, birth = demographics[patient_id]
        if patient_id is None:
            # Checked as a known patient's result would be, but for the flag, which waits for the patient.
            refused = context.normalizer.refusal(code, value, unit, when, where)
            if refused is None:
                _park(context, chunk, "result", patient, record._asdict(), where)
            else:
                chunk.problems.append(refused)
            continue
        normalized = normalize(code, value, unit, when, where, sex, birth)
        if type(normalized) is Problem:
            chunk.problems.append(normalized)
            continue
        assert not isinstance(normalized, Problem)
        # Named one by one: unpacking into the call (`*normalized`) costs more than the rest of the row.
        indicator, number, canonical_unit, comparator, value_reported, unit_reported, flag = normalized
        rows.append(
            ObservationRow(
                patient_id,
                indicator,
                number,
                canonical_unit,
                comparator,
                value_reported,
                unit_reported,
                flag,
                when,
                status,
                kind,
                system[:60],
                source_id[:120],
                report_ids.get((system, report)) if report else None,
                ranges[:60],
                digest,
            )
        )
    for exam in parsed.reports:  # the report's conclusion and package, kept until its results are matched
        if exam.patient not in matches:
            _park(context, chunk, "report", exam.patient, asdict(exam), exam.location)
    for visit in parsed.encounters:
        if visit.patient not in matches:
            _park(context, chunk, "encounter", visit.patient, asdict(visit), visit.location)
    for person in chunk.people.waiting:
        row = _park(context, chunk, "patient", person.patient, person_fields(person), person.location)
        row.patient_mobile = person.mobile[:40]
    return chunk


def _settle_people(context: ImportContext, chunk: PreparedChunk, refs: list[PatientRef]) -> None:
    """Register or update the chunk's people (people.py); the chunk's other records that name someone just
    registered then match them, and what waited in the queue for them joins the chunk."""
    parsed, matches = chunk.parsed, chunk.matches
    outcome = settle_people(context.organization_id, context.batch, parsed, matches, context.policy)
    chunk.people = outcome
    chunk.problems += outcome.problems
    if not outcome.registered:
        return
    match_registered(refs, outcome.registered, matches)
    if len(context.patients) < KNOWN_LIMIT:
        context.patients.update({ref: matches[ref] for ref in set(refs) if ref in matches})
    chunk.filed = file_for_registered(parsed, context.organization_id, outcome.registered)


def _park(
    context: ImportContext,
    chunk: PreparedChunk,
    kind: str,
    ref: PatientRef,
    fields: dict[str, Any],
    where: str,
) -> UnmatchedResult:
    """Keep a record for a patient not matched, saying why; the first record of a ref that contradicts the
    patient its identifier found is also reported where it stood."""
    why = chunk.matches.why_not(ref)
    row = unmatched_row(context.organization_id, context.batch, kind, ref, fields, why)
    chunk.parked.append(row)
    if why == "contradiction" and ref not in chunk.reported:
        chunk.reported.add(ref)
        chunk.problems.append(_contradiction(where))
    return row


def _contradiction(location: str) -> Problem:
    reason = because(
        "The name, sex or birth date sent differ from those of the patient with this identifier, so nothing "
        "was filed under that patient. The records wait with the results waiting for a patient, for a "
        "person to decide."
    )
    return Problem(location, "patient", "", reason, "contradiction")


def finish_chunk(context: ImportContext, chunk: PreparedChunk) -> tuple[list[Problem], int]:
    """Once the chunk's rows are merged: store its visits and park what waits for a patient.
    Returns its problems and how many of its results and visits wait for a patient."""
    lookup = context.store.lookup
    upsert_encounters(context.organization_id, chunk.parsed.encounters, chunk.matches, lookup)
    mark_filed(chunk.filed)
    return chunk.problems, park(context.organization_id, chunk.parked, lookup)


def merge_chunk(context: ImportContext, chunk: PreparedChunk) -> MergeCounts:
    """The chunk's rows merged, in place."""
    batch = context.batch
    return context.store.start_merge(batch.organization_id, batch.pk, chunk.rows, timezone.now()).counts()


def import_chunk(batch: ImportBatch, parsed: ParseResult) -> tuple[MergeCounts, list[Problem], int]:
    """One chunk (a single message, a record matched by hand), in the caller's transaction: merge counts,
    problems, and the number of results and visits parked for an unknown patient."""
    with open_store() as store:
        context = ImportContext.start(batch, store)
        with store.step():
            chunk = prepare_chunk(context, parsed)
            counts = merge_chunk(context, chunk)
            problems, parked = finish_chunk(context, chunk)
    return counts, problems, parked
