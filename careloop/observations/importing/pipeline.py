"""The import pipeline: parsed records in, observations, reports, encounters and problems out.

Whatever the format, an import is a sequence of chunks (ParseResult). For each chunk, set-based: match
the patients, store their source identifiers, upsert exam reports, normalize results (indicator, unit,
plausibility, flag), merge them through the store (store.py), upsert encounters, park results for
unknown patients in the unmatched queue, and record every refusal as an ImportProblem. Nothing is
dropped silently. One chunk's steps are in chunk.py.

    chunk N:    parse ─ prepare (match, reports, normalize) ─┐ step N-1 ─ start merge N ─┐
    chunk N+1:                                                    parse ─ prepare ─ step N: finish N ...

A step is one transaction on the import's connection: it prepares the next chunk and finishes the chunk
whose merge is done (its visits, parked records, problems and counts). A store that overlaps merges a
chunk on a connection of its own while the next one is parsed and prepared, and looks up a chunk's held
lines (a re-import's, parsed.HeldLines) there while the chunk after it is parsed.

Problems: the first `IMPORT_LIMITS.stored_problems` are stored, values and reasons through the one
redaction routine; past them only a count per kind (`ImportBatch.problems_not_stored`, problemcap.py).

Modes: "keep_good" commits chunk by chunk: a chunk's rows when they are merged, its counts with the step
after (a crash loses at most the chunks under way, and a re-run is idempotent: it counts rows already
stored as unchanged). "all_or_nothing" runs the whole import in one transaction, on one connection, and
rolls it back if anything was refused; the refusal and its problems are still recorded.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from careloop.accounts import audit
from careloop.facts.tasks import refresh_facts_after_import
from careloop.followup.tasks import enrol_after_import
from careloop.observations.importing.chunk import (
    ImportContext,
    PreparedChunk,
    finish_chunk,
    import_chunk,
    prepare_chunk,
)
from careloop.observations.importing.parsed import ParseResult, PatientRef, Problem, reason_parts
from careloop.observations.importing.problemcap import ProblemTally
from careloop.observations.importing.store import MergeCounts, PendingMerge, open_store
from careloop.observations.models import ImportBatch, ImportProblem
from careloop.redaction import redact

__all__ = ["import_chunk", "run_import"]

Finished = Callable[[PreparedChunk, MergeCounts, list[Problem], int], None]


class _RefusedWhole(Exception):
    """Raised inside the all-or-nothing transaction to roll it back."""


def _problem_row(batch: ImportBatch, problem: Problem) -> ImportProblem:
    template, params = reason_parts(problem.reason)
    return ImportProblem(
        batch=batch,
        location=problem.location[:80],
        field=redact(problem.field)[:80],
        value=redact(str(problem.value))[:200],
        code=problem.code[:30],
        reason=redact(problem.reason)[:300],
        reason_template=template[:300],
        reason_params={name: redact(value)[:200] for name, value in params.items()},
    )


def run_import(
    batch: ImportBatch,
    chunks: Iterable[ParseResult],
    progress: Callable[[ImportBatch], None] | None = None,
    matched: Mapping[PatientRef, int] | None = None,
) -> tuple[ImportBatch, list[Problem]]:
    """Run an import to the end; the batch row carries the counts and status, ImportProblem rows the refusals
    (up to the cap; the batch counts the others by kind). Returns the batch and the problems stored.

    `chunks` is read while the store merges the chunk before. `matched`: refs known to be these patients
    (ImportContext.start).
    """
    kept: list[Problem] = []
    tally = ProblemTally(settings.IMPORT_LIMITS.stored_problems)
    visits = [0]  # encounters the import carried or filed: a discharge may start a follow-up plan

    def account(chunk: PreparedChunk, counts: MergeCounts, problems: list[Problem], parked: int) -> None:
        parsed = chunk.parsed
        visits[0] += len(parsed.encounters) + len(chunk.filed)
        batch.received += len(parsed.results) + len(parsed.encounters) + len(parsed.problems) + parsed.skipped
        batch.received += len(parsed.people) + len(parsed.merges)
        batch.patients_registered += len(chunk.people.registered)
        batch.patients_updated += chunk.people.updated
        batch.for_review += chunk.people.for_review
        batch.waiting_filed += sum(1 for filed in chunk.filed if filed.counts)
        batch.created += counts.created
        batch.updated += counts.updated
        batch.unchanged += counts.unchanged + parsed.skipped
        batch.refused += len(problems)
        batch.unmatched += parked
        kept.extend(tally.keep(problems))
        batch.problems_not_stored = dict(tally.beyond)
        if progress:
            progress(batch)

    def record(chunk: PreparedChunk, counts: MergeCounts, problems: list[Problem], parked: int) -> None:
        stored = len(kept)
        account(chunk, counts, problems, parked)
        ImportProblem.objects.bulk_create([_problem_row(batch, p) for p in kept[stored:]], batch_size=1000)
        batch.save(update_fields=[*ImportBatch.COUNTS, "problems_not_stored"])

    if batch.mode == "all_or_nothing":
        try:
            with transaction.atomic(), open_store() as store:
                _import_chunks(ImportContext.start(batch, store, matched), chunks, account)
                if batch.refused:
                    raise _RefusedWhole
            batch.status = "done"
        except _RefusedWhole:
            batch.status = "refused"
            batch.created = batch.updated = batch.unchanged = batch.unmatched = 0
            batch.patients_registered = batch.patients_updated = batch.waiting_filed = batch.for_review = 0
    else:
        with open_store(overlap=True) as store:
            _import_chunks(ImportContext.start(batch, store, matched), chunks, record)
        batch.status = "done"
    # A commit that waits for the WAL flush, and so for every commit of the import's before it.
    with transaction.atomic():
        if batch.mode == "all_or_nothing":
            ImportProblem.objects.bulk_create([_problem_row(batch, p) for p in kept], batch_size=1000)
        batch.finished_at = timezone.now()
        batch.save()
        audit.record(
            "import.finish",
            organization_id=batch.organization_id,
            obj=batch,
            detail={"kind": batch.kind, "status": batch.status, **batch.counts()},
        )
    if batch.status == "done" and (batch.created or batch.updated):
        # The facts of the patients whose results changed, by the worker once the import has committed; it
        # then runs the follow-up triggers too.
        transaction.on_commit(lambda: refresh_facts_after_import.enqueue(batch.pk))
    elif batch.status == "done" and visits[0]:
        # Visits and no results (an ADT feed): only the triggers, so a discharge enrols within seconds.
        transaction.on_commit(lambda: enrol_after_import.enqueue(batch.pk))
    return batch, kept


@dataclass
class _Merging:
    chunk: PreparedChunk
    merge: PendingMerge


def _finish(context: ImportContext, merging: _Merging, finished: Finished) -> None:
    """Wait for the chunk's merge, then store the rest of it and account for it."""
    finished(merging.chunk, merging.merge.counts(), *finish_chunk(context, merging.chunk))


def _import_chunks(context: ImportContext, chunks: Iterable[ParseResult], finished: Finished) -> None:
    """Import `chunks` in order, each step preparing a chunk and finishing the one merged before it.

    The source is read one chunk ahead: the next chunk is parsed while the store looks up this one's held
    lines (after the merges of the chunks before it). A source that breaks stops the import after the
    chunks it gave are imported, and its error is raised.
    """
    store, batch = context.store, context.batch
    source = iter(chunks)
    failure: Exception | None = None

    def parse_next() -> ParseResult | None:
        nonlocal failure
        if failure is not None:
            return None
        try:
            return next(source, None)
        except Exception as error:
            failure = error
            return None

    merging: _Merging | None = None
    try:
        upcoming = parse_next()
        while True:
            parsed, held = upcoming, None
            if parsed is not None:
                if parsed.held is not None:
                    held = store.look_up_held(batch.organization_id, parsed.held.keys)
                upcoming = parse_next()
            with store.step():
                # A chunk that merges patients comes after every chunk before it is stored, so that all the
                # merged patient's records move to the survivor; any other is prepared while one merges.
                if merging is not None and parsed is not None and parsed.merges:
                    _finish(context, merging, finished)
                    merging = None
                chunk = prepare_chunk(context, parsed, held) if parsed is not None else None
                if merging is not None:
                    _finish(context, merging, finished)
            if chunk is None:
                break
            merging = _Merging(
                chunk, store.start_merge(batch.organization_id, batch.pk, chunk.rows, timezone.now())
            )
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()
    if failure is not None:
        raise failure
