"""The import pipeline: parsed records in, observations, reports, encounters and problems out.

Whatever the format, an import is a sequence of chunks (ParseResult). For each chunk, set-based:
match the patients, store their source identifiers, upsert exam reports, normalize results (indicator,
unit, plausibility, flag), merge them, upsert encounters, park results for unknown patients in the
unmatched queue, and record every refusal as an ImportProblem. Nothing is dropped silently. On
PostgreSQL a chunk's merge runs in the database while the next chunk is normalized and parsed
(`overlap.import_overlapped`; one chunk's steps are in `chunk`).

Problems: the first `IMPORT_LIMITS.stored_problems` are stored, values and reasons through the one
redaction routine; past them only a count per kind (`ImportBatch.problems_not_stored`, problemcap.py).

Modes: "keep_good" commits chunk by chunk (a crash loses at most the two chunks in progress, the one
merging and the next, and a re-run is idempotent); "all_or_nothing" runs the whole import in one
transaction and rolls it back if anything was refused — the refusal and its problems are still recorded.
"""

from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from careloop.accounts import audit
from careloop.gcpacing import fewer_collections
from careloop.observations.criticals import critical_limits_for
from careloop.observations.importing.chunk import Chunk, ImportMemo
from careloop.observations.importing.merge import MergeCounts
from careloop.observations.importing.overlap import import_overlapped
from careloop.observations.importing.parsed import ParseResult, Problem, reason_parts
from careloop.observations.importing.problemcap import ProblemTally
from careloop.observations.models import ImportBatch, ImportProblem
from careloop.redaction import redact


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
) -> tuple[ImportBatch, list[Problem]]:
    """Run an import to the end; the batch row carries the counts and status, ImportProblem rows the refusals
    (up to the cap; the batch counts the others by kind). Returns the batch and the problems stored.

    `chunks` is read while the database merges the chunk before: one that uses the database waits for it.
    """
    kept: list[Problem] = []
    tally = ProblemTally(settings.IMPORT_LIMITS.stored_problems)
    memo = ImportMemo(critical=critical_limits_for(batch.organization_id))

    def account(chunk: Chunk, counts: MergeCounts, problems: list[Problem], parked: int) -> None:
        parsed = chunk.parsed
        batch.received += len(parsed.results) + len(parsed.encounters) + len(parsed.problems) + parsed.skipped
        batch.created += counts.created
        batch.updated += counts.updated
        batch.unchanged += counts.unchanged + parsed.skipped
        batch.refused += len(problems)
        batch.unmatched += parked
        kept.extend(tally.keep(problems))
        batch.problems_not_stored = dict(tally.beyond)
        if progress:
            progress(batch)

    def record(chunk: Chunk, counts: MergeCounts, problems: list[Problem], parked: int) -> None:
        stored = len(kept)
        account(chunk, counts, problems, parked)
        ImportProblem.objects.bulk_create([_problem_row(batch, p) for p in kept[stored:]], batch_size=1000)
        batch.save(update_fields=[*ImportBatch.COUNTS, "problems_not_stored"])

    with fewer_collections():
        if batch.mode == "all_or_nothing":
            try:
                with transaction.atomic():
                    import_overlapped(batch, chunks, memo, account, transaction_per_step=False)
                    if batch.refused:
                        raise _RefusedWhole
                batch.status = "done"
            except _RefusedWhole:
                batch.status = "refused"
                batch.created = batch.updated = batch.unchanged = batch.unmatched = 0
        else:
            import_overlapped(batch, chunks, memo, record, transaction_per_step=True)
            batch.status = "done"
    # This commit waits for the WAL flush, and so for every step's before it (overlap._commit_without_flush).
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
    return batch, kept
