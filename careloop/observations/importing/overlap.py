"""The import's step loop: one chunk's merge runs in the database while Python prepares the next."""

from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from careloop.observations.importing.chunk import (
    Chunk,
    ImportMemo,
    Matched,
    finish,
    look_up,
    match_chunk,
    normalize_rows,
    record_chunk,
    start_chunk_merge,
    start_probe,
)
from careloop.observations.importing.merge import MergeCounts
from careloop.observations.importing.parsed import ParseResult, Problem
from careloop.observations.models import ImportBatch


def import_overlapped(
    batch: ImportBatch,
    chunks: Iterable[ParseResult],
    memo: ImportMemo,
    finished: Callable[[Chunk, MergeCounts, list[Problem], int], None],
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

    Where each step commits (`transaction_per_step`, outside any transaction of the caller's) and the
    database is PostgreSQL, the next chunk's patients are read on a second connection (`_Reader`), while
    this thread copies the ready chunk into the database and the merge starts: a step used to wait for
    that lookup before it started merging. That connection sees only what is committed, which is all the
    steps before; its writes (MRNs learnt, exam reports) stay on the import's connection, and a chunk that
    makes some is finished after the merge.

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
    ready: Chunk | None = None
    merged: list[tuple[Any, ...]] = []  # the rows merged in the step before, maybe beside a probe
    failure: Exception | None = None
    # Opened when first wanted: an import of one chunk (an HL7 message) has no merge to read beside.
    reader = _Reader() if transaction_per_step and _sees_steps_committed() else None
    # The chunk finished in the step before, freed once the next merge is under way: freeing its tens of
    # thousands of objects took 4 ms, and the database waited for them.
    spent: list[Any] = []
    try:
        while waiting or ready is not None:
            with transaction.atomic() if transaction_per_step else nullcontext():
                if transaction_per_step:
                    _commit_without_flush()
                coming = head = later = None
                if waiting and waiting[0].can_look_up():
                    head = waiting.popleft()
                busy = (merged, ready.rows if ready is not None else [])
                read_beside: Callable[[], Future[Matched]] | None = None
                if head is not None and ready is not None and reader is not None:
                    read_beside = partial(
                        reader.submit, match_chunk, batch, head.parsed, memo, head.probing, busy
                    )
                elif head is not None:
                    coming = look_up(batch, head.parsed, memo, head.probing, busy)
                # Held lines are read in Python: beside the copy they only took turns with it for the GIL.
                holds = head is not None and head.parsed.held is not None
                matching = read_beside() if read_beside is not None and not holds else None
                try:
                    merging = start_chunk_merge(batch, ready, memo) if ready is not None else None
                finally:
                    if matching is not None:
                        wait([matching])
                spent.clear()
                probing: list[Future[set[int]]] = []
                try:
                    if read_beside is not None and matching is None:
                        matching = read_beside()
                    if matching is not None:
                        matched = matching.result()
                        if matched.writes():
                            later = matched  # its writes would wait for the merge
                        else:
                            coming = record_chunk(batch, matched)
                    if coming is not None:
                        normalize_rows(batch, coming, memo)
                    for entry in waiting:
                        if entry.parsed.held is not None and entry.probing is None:
                            entry.probing = start_probe(organization_id, entry.parsed.held)
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
                if later is not None:
                    coming = record_chunk(batch, later)
                    normalize_rows(batch, coming, memo)
                if ready is not None and merging is not None:
                    finished(ready, *finish(batch, ready, merging, memo))
            # Kept only if the next chunk's probe ran beside this merge (kept always, the import was slower).
            probed = bool(waiting) and waiting[0].probing is not None
            merged = ready.rows if ready is not None and probed else []
            spent += (ready, busy)
            ready = coming
        if failure is not None:
            raise failure
    finally:
        if reader is not None:
            reader.close()
        close = getattr(source, "close", None)
        if close is not None:
            close()


class _Reader:
    """A second connection, and the thread that reads the next chunk's patients on it while this one
    copies the chunk before into the database (the lookup used to wait for the copy, 2 ms a 1000 rows).

    The connection sees only what is committed, which is all the steps before; the thread only reads.
    Both are opened when first wanted, and closed with the import.
    """

    def __init__(self) -> None:
        self._thread: ThreadPoolExecutor | None = None
        self._connection: BaseDatabaseWrapper | None = None

    def submit[T](self, read: Callable[..., T], *args: Any) -> "Future[T]":
        """`read(*args, connection)` in the reading thread."""
        self._thread = self._thread or ThreadPoolExecutor(1, thread_name_prefix="careloop-read")
        return self._thread.submit(self._read, read, args)

    def _read[T](self, read: Callable[..., T], args: tuple[Any, ...]) -> T:
        self._connection = self._connection or connections.create_connection(DEFAULT_DB_ALIAS)
        return read(*args, self._connection)

    def close(self) -> None:
        if self._thread is None:
            return
        # In the thread that used them: Django's connections belong to the thread that opened them.
        self._thread.submit(self._close_here).result()
        self._thread.shutdown()

    def _close_here(self) -> None:
        if self._connection is not None:
            self._connection.close()
        for opened in connections.all(initialized_only=True):  # any this thread opened by the way
            opened.close()


def _sees_steps_committed() -> bool:
    """Whether a second connection would see what the import's steps commit: not inside a transaction of
    the caller's. And only on PostgreSQL: SQLite's merge does not run beside the import."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def _commit_without_flush() -> None:
    """Let this step's commit return before PostgreSQL has flushed its WAL to disk.

    A crash may then lose the last steps committed (those within three wal_writer_delay), each whole with
    its counts on the batch, as if the import had stopped earlier; a re-run is idempotent. The import's
    last commit (pipeline.run_import) waits for the flush, and with it for every step before.
    Measured: the import ran 8 % faster at 100 k rows.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


@dataclass
class _Parsed:
    """A chunk parsed and waiting to be looked up, with the lookup of its held lines once started."""

    parsed: ParseResult
    probing: "Future[set[int]] | None" = None

    def can_look_up(self) -> bool:
        """Not while its held lines have not been looked up in a step before this one."""
        return self.parsed.held is None or self.probing is not None
