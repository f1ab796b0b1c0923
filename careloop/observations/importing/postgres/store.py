"""The PostgreSQL store: rows sent with binary COPY and merged in the database, set-based.

With `overlap` (an import that commits each step, outside any transaction of its caller's), each chunk
after the first is merged on a second connection, in a thread of the store's own, while the pipeline
parses and normalizes the next chunk: the database inserts while Python works. Each merge is a
transaction of its own on that connection. Held lines are looked up there too, after the merges started
before them, while the pipeline parses on. Without `overlap` (all-or-nothing, a single message) merges
and look-ups run in place, on the import's connection and in its transaction.

With `overlap`, every step and every merge commits without waiting for the WAL flush: a crash may lose
the last ones, each whole, as if the import had stopped earlier, and a re-run is idempotent. The import's
last commit (pipeline.run_import) waits for the flush, and so for every commit before it. Without it,
every commit waits: a single message is acknowledged only once its results are safe.
While the store is open, the garbage collector runs seldom (gcpacing): an import makes no reference cycles.
"""

import datetime
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, ExitStack, contextmanager
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg import pq
from psycopg.abc import Buffer
from psycopg.copy import Copy, Writer

from careloop.gcpacing import fewer_collections
from careloop.observations.importing.postgres.keylookup import ArrayLookup, bigint_array, text_array
from careloop.observations.importing.postgres.statements import COPIED, Statements, copy_types, statements
from careloop.observations.importing.rows import ObservationRow, one_per_key
from careloop.observations.importing.store import (
    DoneLookup,
    DoneMerge,
    HeldKey,
    MergeCounts,
    ObservationStore,
    PendingLookup,
    PendingMerge,
)


class PostgresStore(ObservationStore):
    lookup = ArrayLookup()

    def __init__(self, overlap: bool) -> None:
        self._merge = _Merge(statements())
        self._merger = _Merger() if overlap else None
        self._merged = False
        self._pacing = ExitStack()
        self._pacing.enter_context(fewer_collections())

    def step(self) -> AbstractContextManager[None]:
        return _transaction(wait_for_flush=self._merger is None)

    def start_merge(
        self,
        organization_id: int,
        batch_id: int | None,
        rows: Sequence[ObservationRow],
        now: datetime.datetime,
    ) -> PendingMerge:
        unique = one_per_key(list(rows))
        if not unique:
            return DoneMerge(MergeCounts())
        params = {"organization": organization_id, "batch": batch_id, "now": now}
        data = self._merge.copy_data(unique, (organization_id, batch_id, 1, now))
        # The first merge runs in place: an import of one chunk (a message) opens no second connection.
        if self._merger is not None and self._merged:
            count = len(unique)
            return _Merging(count, self._merger.submit(lambda raw: self._merge(raw, params, data, count)))
        self._merged = True
        with connection.wrap_database_errors, _transaction(wait_for_flush=self._merger is None):
            created, updated = self._merge(connection.connection, params, data, len(unique))
        return DoneMerge(MergeCounts(created, updated, len(unique) - created - updated))

    def look_up_held(self, organization_id: int, keys: Sequence[HeldKey]) -> PendingLookup:
        """One index probe per line: with `overlap` on the merger's connection, after the merges submitted
        before it (a merge in place has committed by then); in place otherwise."""
        sql, params = self._held_query(organization_id, keys)
        if not sql:
            return DoneLookup(set())
        if self._merger is not None:
            return _LookingUp(self._merger.submit(lambda raw: _stored_positions(raw, sql, params)))
        connection.ensure_connection()
        with connection.wrap_database_errors:
            return DoneLookup(_stored_positions(connection.connection, sql, params))

    def _held_query(self, organization_id: int, keys: Sequence[HeldKey]) -> tuple[str, dict[str, int | str]]:
        """The probe of `keys` and its parameters; no SQL when no key has a source id."""
        params: dict[str, int | str] = {"organization": organization_id}
        systems = {system for system, _id, _digest in keys}
        if len(systems) == 1 and all(source_id for _system, source_id, _digest in keys):
            sql = self._merge.sql.stored_as_sent_one_system
            params |= {
                "system": systems.pop(),
                "ids": text_array([source_id for _system, source_id, _digest in keys]),
                "digests": bigint_array([digest for _system, _id, digest in keys]),
            }
        else:
            lines = [(position, *key) for position, key in enumerate(keys) if key[1]]
            if not lines:
                return "", params
            sql = self._merge.sql.stored_as_sent
            params |= {
                "positions": bigint_array([line[0] for line in lines]),
                "systems": text_array([line[1] for line in lines]),
                "ids": text_array([line[2] for line in lines]),
                "digests": bigint_array([line[3] for line in lines]),
            }
        return sql, params

    def close(self) -> None:
        try:
            if self._merger is not None:
                self._merger.close()
        finally:
            self._pacing.close()


@contextmanager
def _transaction(wait_for_flush: bool) -> Iterator[None]:
    """A transaction on the import's connection, or a part of the caller's. Unless `wait_for_flush`, one of
    its own commits without waiting for the WAL flush."""
    outermost = not connection.in_atomic_block
    with transaction.atomic(savepoint=False):
        if outermost and not wait_for_flush:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


class _Kept(Writer):
    """COPY data kept in memory instead of sent: formatted in the import's thread, sent from the merger's."""

    def __init__(self) -> None:
        self.pieces: list[bytes] = []

    def write(self, data: Buffer) -> None:
        self.pieces.append(bytes(data))


class _Merge:
    """Merging one chunk after another, in the order given (one at a time: in place, or in the merger's
    thread). Rows are probably new when the chunk before had only new ones: they are then copied straight
    into the table (the staging table doubles the database's work on new rows), under a savepoint that
    undoes them if a key was stored after all; the rest are staged and merged set-based.

    A chunk's COPY data is formatted by `copy_data` in the import's thread, so that the merger's thread
    only sends bytes and waits for the database, never holding the GIL that parsing the next chunk needs.
    """

    def __init__(self, sql: Statements) -> None:
        self.sql = sql
        self._types = copy_types(COPIED)
        self._expect_new = True

    def copy_data(self, rows: list[ObservationRow], written: tuple[Any, ...]) -> bytes:
        """`rows`, each followed by `written` (statements.WRITTEN), in binary COPY format. Uses only the
        import's connection's adapters: a cursor that never executes."""
        connection.ensure_connection()
        kept = _Kept()
        raw: psycopg.Connection[Any] = connection.connection
        with raw.cursor() as cursor, Copy(cursor, binary=True, writer=kept) as copy:
            copy.set_types(self._types)
            for row in rows:
                copy.write_row(row + written)
        return b"".join(kept.pieces)

    def __call__(
        self, raw: "psycopg.Connection[Any]", params: dict[str, Any], data: bytes, count: int
    ) -> tuple[int, int]:
        """Merge `count` rows (one per natural key, `copy_data`): a transaction of its own on a connection in
        autocommit (the merger's), a savepoint within the caller's transaction otherwise.
        Returns (created, updated)."""
        sql = self.sql
        if not raw.autocommit and raw.info.transaction_status == pq.TransactionStatus.IDLE:
            # The caller's transaction, begun: a transaction() below is then a savepoint within it.
            raw.execute(sql.create_staging)
        if self._expect_new:
            try:
                with raw.transaction(), raw.cursor() as cursor, cursor.copy(sql.copy_into_table) as copy:
                    copy.write(data)
                return count, 0
            except psycopg.errors.UniqueViolation:
                self._expect_new = False
        with raw.transaction(), raw.cursor() as cursor:
            cursor.execute(sql.create_staging)
            with cursor.copy(sql.copy_into_staging) as copy:
                copy.write(data)
            cursor.execute(sql.insert_new, params)
            created = cursor.rowcount
            updated = 0
            self._expect_new = created == count
            if created < count:
                changed = [observation_id for (observation_id,) in cursor.execute(sql.keep_versions, params)]
                if changed:
                    cursor.execute(sql.correct, {**params, "ids": bigint_array(changed)})
                    updated = cursor.rowcount
                stale = [observation_id for (observation_id,) in cursor.execute(sql.find_stale, params)]
                if stale:
                    cursor.execute(sql.refresh, {**params, "ids": bigint_array(stale)})
            cursor.execute(sql.empty_staging)
        return created, updated


class _Merging(PendingMerge):
    def __init__(self, staged: int, merging: "Future[tuple[int, int]]") -> None:
        self._staged, self._merging = staged, merging

    def counts(self) -> MergeCounts:
        with connection.wrap_database_errors:  # the driver's errors as Django's, as from a cursor
            created, updated = self._merging.result()
        return MergeCounts(created, updated, self._staged - created - updated)


def _stored_positions(raw: "psycopg.Connection[Any]", sql: str, params: dict[str, int | str]) -> set[int]:
    row = raw.execute(sql, params).fetchone()
    return set(row[0] or ()) if row else set()


class _LookingUp(PendingLookup):
    def __init__(self, looking: "Future[set[int]]") -> None:
        self._looking = looking

    def positions(self) -> set[int]:
        with connection.wrap_database_errors:
            return self._looking.result()


class _Merger:
    """A thread with a second connection of its own, merging one chunk at a time, each in a transaction,
    and looking up held lines between merges.

    Both are opened when first wanted, and closed in that thread (a Django connection belongs to the thread
    that opened it) once the merges submitted are done.
    """

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="careloop-merge")
        self._connection: BaseDatabaseWrapper | None = None
        self._used = False

    def submit[T](self, work: "Callable[[psycopg.Connection[Any]], T]") -> "Future[T]":
        """`work(connection)` in the thread, after the work submitted before it."""
        self._used = True
        return self._thread.submit(self._run, work)

    def _run[T](self, work: "Callable[[psycopg.Connection[Any]], T]") -> T:
        if self._connection is None:
            self._connection = connections.create_connection(DEFAULT_DB_ALIAS)
            self._connection.ensure_connection()
            with self._connection.cursor() as cursor:  # this connection only merges (module docstring)
                cursor.execute("SET synchronous_commit TO OFF")
        self._connection.ensure_connection()
        raw: psycopg.Connection[Any] = self._connection.connection
        return work(raw)  # each a transaction of its own (autocommit)

    def close(self) -> None:
        if self._used:
            self._thread.submit(self._close_here).result()
        self._thread.shutdown()

    def _close_here(self) -> None:
        if self._connection is not None:
            self._connection.close()
