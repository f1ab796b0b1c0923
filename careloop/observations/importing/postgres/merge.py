"""merge.merge_observations on PostgreSQL: the comparison happens in the database, not in Python.

A chunk whose keys are probably new (the import's chunk before had only new ones) is copied straight into
the observation table, under a savepoint; if a key was stored after all, that is undone and the chunk goes
the careful way. The careful way copies a chunk into a temporary staging table, then rows whose natural
key is new are inserted; only when some keys were already there, the old content of those whose content
differs becomes an ObservationVersion and they are updated. Counts come from the statements' row counts.

Python only writes the COPY stream, and formats it beforehand (`copy_rows.copy_data`): the import formats
a chunk while the database inserts the one before, so that when its turn comes the database waits only for
the bytes to arrive, not for Python's formatting too (a copy of 10 k rows went from 30 to 15 ms).
What follows the data runs in a thread of their own on the same connection (so in the caller's
transaction): the end of a COPY straight into the table, or the statements after a staging copy; and
`start_merge` returns at once: the import prepares its next chunk while the database inserts this one
(see overlap.py). psycopg serializes the connection, so a query the caller makes meanwhile waits for the
merge instead of interleaving with it.
(Copying straight into the table measured no faster than the staging table twice before its COPY was ended
in the merge's thread with the data handed to libpq whole: from the caller's thread, the caller waited
for the table's indexes; from the merge's thread, 0.85x, its many small writes each waiting for the GIL
while the caller normalizes.)
"""

import _thread
import hashlib
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import psycopg
from django.db import connection
from psycopg import generators, pq
from psycopg.abc import Buffer

from careloop.bulkinsert import column_name, concrete_field
from careloop.observations.importing.keylookup import bigint_array, text_array
from careloop.observations.models import Observation, ObservationVersion

_STRAIGHT = "careloop_copied_straight"  # the savepoint a COPY straight into the table can go back to


def _staging_name(staged: str) -> str:
    """The temporary table's name, one per column list: a connection that outlives a deploy which
    changed the columns must not reuse a table of the old shape."""
    return "careloop_observation_staging_" + hashlib.sha256(staged.encode()).hexdigest()[:10]


def _column(name: str) -> str:
    return connection.ops.quote_name(column_name(concrete_field(Observation, name)))


@dataclass(frozen=True)
class _Statements:
    """The SQL of a merge; identifiers come from the models, values go as parameters."""

    make_staging: str  # and make sure it is empty
    copy_into_staging: str  # binary, as copy_data formats the rows
    copy_into_table: str  # the same, straight into the observation table
    insert_new_skipping_stored: str
    keep_versions: str
    update_changed: str
    find_stale: str
    refresh: str
    empty_staging: str


def _statements(
    columns: Sequence[str], content: Sequence[str], versioned: Sequence[str], refreshed: Sequence[str]
) -> _Statements:
    observation = connection.ops.quote_name(Observation._meta.db_table)
    version_table = connection.ops.quote_name(ObservationVersion._meta.db_table)
    staged = ", ".join(_column(name) for name in columns)
    staging = _staging_name(staged)
    key = (
        f"o.{_column('organization')} = %(organization)s"
        f" AND o.{_column('source_system')} = s.{_column('source_system')}"
        f" AND o.{_column('source_id')} = s.{_column('source_id')}"
    )
    differs = "({}) IS DISTINCT FROM ({})".format(
        ", ".join(f"o.{_column(name)}" for name in content),
        ", ".join(f"s.{_column(name)}" for name in content),
    )
    natural_key = ", ".join(_column(name) for name in ("organization", "source_system", "source_id"))
    insert_new = f"INSERT INTO {observation} ({staged}) SELECT {staged} FROM {staging}"  # noqa: S608
    assignments = ", ".join(f"{_column(name)} = s.{_column(name)}" for name in (*content, *refreshed))
    refreshments = ", ".join(f"{_column(name)} = s.{_column(name)}" for name in refreshed)
    stale = "({}) IS DISTINCT FROM ({})".format(
        ", ".join(f"o.{_column(name)}" for name in refreshed),
        ", ".join(f"s.{_column(name)}" for name in refreshed),
    )
    by_id = f"o.id = ANY(%(ids)s::bigint[]) AND {key}"
    # Each staged row looks its observation up by the natural key (LIMIT 1 keeps the planner from
    # joining the whole table: a hash join would read every observation, chunk after chunk).
    look_up = f"FROM {staging} s CROSS JOIN LATERAL (SELECT * FROM {observation} o WHERE {key} LIMIT 1) o"  # noqa: S608
    kept = ", ".join(_column(name) for name in versioned)
    kept_before = ", ".join(f"o.{_column(name)}" for name in versioned)
    return _Statements(
        # Each merge empties the staging table when it is done (or its transaction is rolled back): the
        # DELETE of an empty table only makes sure, where a TRUNCATE would make a new file each chunk.
        make_staging=(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} AS "  # noqa: S608
            f"SELECT {staged} FROM {observation} WITH NO DATA; DELETE FROM {staging}"
        ),
        copy_into_staging=f"COPY {staging} ({staged}) FROM STDIN (FORMAT BINARY)",
        copy_into_table=f"COPY {observation} ({staged}) FROM STDIN (FORMAT BINARY)",
        insert_new_skipping_stored=f"{insert_new} ON CONFLICT ({natural_key}) DO NOTHING",
        keep_versions=(
            f"INSERT INTO {version_table} "
            f"(observation_id, version, replaced_at, replaced_by_batch_id, {kept}) "
            f"SELECT o.id, o.version, %(now)s, %(batch)s, {kept_before} {look_up} "
            f"WHERE {differs} RETURNING observation_id"
        ),
        update_changed=(
            f"UPDATE {observation} o SET {assignments}, version = o.version + 1, "  # noqa: S608
            f"batch_id = %(batch)s, updated_at = %(now)s FROM {staging} s WHERE {by_id}"
        ),
        # After the changed rows are updated, the rest whose content is the same but not their source's.
        find_stale=f"SELECT o.id {look_up} WHERE {stale}",
        refresh=f"UPDATE {observation} o SET {refreshments} FROM {staging} s WHERE {by_id}",  # noqa: S608
        empty_staging=f"TRUNCATE {staging}",
    )


def start_merge(
    organization_id: int,
    batch_id: int | None,
    now: Any,
    data: Buffer,
    staged: int,
    columns: Sequence[str],
    content: Sequence[str],
    versioned: Sequence[str],
    refreshed: Sequence[str],
    expect_new: bool = False,
) -> "Future[tuple[int, int]]":
    """Copy `data` (`copy_rows.copy_data` of `staged` rows in `columns` order, one per natural key), start
    merging: the future answers (created, updated).

    Runs in the caller's transaction; the caller waits for the result before it commits.
    `columns` are all the columns a row sets, the organization, batch, version and time of writing among
    them (`params` name the organization, batch and time again for the statements that change stored rows).
    `content` are the columns whose change makes a new version; `versioned` those an ObservationVersion keeps;
    `refreshed` those a stored row takes from its staged one even when the content is the same.
    `expect_new` says that the keys are probably not stored yet (the import's last chunk had only new ones):
    the rows are then copied straight into the table (`_copied_straight`), and only if one was stored,
    staged and merged skipping stored keys.
    """
    sql = _statements(columns, content, versioned, refreshed)
    params = {"organization": organization_id, "batch": batch_id, "now": now}
    if expect_new:
        # The staging table doubled what the database did with a chunk of new rows (copied, read, inserted):
        # straight into the table, it does 0.86x the work. Under a savepoint, in case a key was stored.
        connection.ensure_connection()
        with connection.wrap_database_errors:  # as from a cursor
            copying = _StraightCopy(connection.connection, sql.copy_into_table, data)
        return _beside(lambda raw: _copied_straight(raw, copying, sql, params, data, staged))
    # The COPY stays in the caller's thread. Written from the merge's thread, it ran beside the caller's
    # Python under the GIL, and the import measured 1.25x slower. Before it, one statement string, not
    # two: after each answer this thread waits for the GIL, which the thread reading the next chunk's
    # patients holds meanwhile (3 ms a chunk).
    with connection.cursor() as cursor:
        cursor.execute(sql.make_staging)
        with cursor.cursor.copy(sql.copy_into_staging) as copy:
            copy.write(data)
    return _beside(lambda raw: _merge_staged(raw, sql, params, staged))


class _StraightCopy:
    """A COPY straight into the observation table, under a savepoint: started and handed its data here, in
    the caller's thread, and ended by `end`, in the merge's thread.

    Copied straight into the table, a chunk's rows are inserted, their indexes too, while the COPY is under
    way, not after it: the caller's thread only hands the data to libpq, which sends what the socket takes
    (a few MB here) and keeps the rest, and goes on; the merge's thread sends the rest and ends the COPY,
    waiting without the GIL while the database inserts. The savepoint is set in the same round trip as the
    COPY starts: after each answer the caller's thread waited for the GIL, which the thread reading the
    next chunk's patients held (3-7 ms a chunk), and the database waited with it.

    The connection's lock is held from the start to the end, so that no other thread can use the
    connection between: psycopg's own COPY gives it back when the data is written.
    """

    def __init__(self, raw: "psycopg.Connection[Any]", statement: str, data: Buffer) -> None:
        self._raw, self._pgconn = raw, raw.pgconn
        sent = f"SAVEPOINT {_STRAIGHT}; {statement}"
        if not raw.autocommit and self._pgconn.transaction_status == _IDLE:
            # The caller's transaction has not begun in the database yet: psycopg begins it, its own way.
            raw.execute(f"SAVEPOINT {_STRAIGHT}")
            sent = statement
        raw.lock.acquire()
        try:
            self._pgconn.send_query(sent.encode())
            started = raw.wait(generators.execute(self._pgconn))
            if started[-1].status != pq.ExecStatus.COPY_IN:
                raise psycopg.errors.error_from_result(started[-1], encoding=raw.info.encoding)
            whole = memoryview(data)
            for start in range(0, len(whole), _PIECE):
                raw.wait(generators.copy_to(self._pgconn, whole[start : start + _PIECE], flush=False))
        except BaseException:
            try:
                if self._pgconn.transaction_status == _ACTIVE:  # the COPY started: end it, failed
                    raw.wait(generators.copy_end(self._pgconn, b"the import stopped"))
            except psycopg.Error:
                pass  # the caller's error is the one to raise; the transaction is failed either way
            finally:
                raw.lock.release()
            raise

    def end(self) -> int:
        """Send the rest of the data and the COPY's end; the rows copied, once the database has them."""
        try:
            result = self._raw.wait(generators.copy_end(self._pgconn, None))
        finally:
            self._raw.lock.release()
        return result.command_tuples or 0


_IDLE, _ACTIVE = pq.TransactionStatus.IDLE, pq.TransactionStatus.ACTIVE
_PIECE = 128 * 1024  # what psycopg hands libpq at a time: libpq could loop on far larger ones


def _copied_straight(
    raw: "psycopg.Connection[Any]",
    copying: _StraightCopy,
    sql: _Statements,
    params: dict[str, Any],
    data: Buffer,
    staged: int,
) -> tuple[int, int]:
    """The end of a COPY straight into the table; if it met a stored key, it is undone (back to the
    savepoint before it) and the chunk staged and merged the careful way."""
    try:
        created = copying.end()
    except psycopg.errors.UniqueViolation:
        with psycopg.ClientCursor(raw) as cursor:
            cursor.execute(
                f"ROLLBACK TO SAVEPOINT {_STRAIGHT}; RELEASE SAVEPOINT {_STRAIGHT}; {sql.make_staging}"
            )
            with cursor.copy(sql.copy_into_staging) as copy:
                copy.write(data)
        return _merge_staged(raw, sql, params, staged)
    with raw.cursor() as cursor:
        cursor.execute(f"RELEASE SAVEPOINT {_STRAIGHT}")
    return created, 0


def _beside[T](work: "Callable[[psycopg.Connection[Any]], T]") -> "Future[T]":
    """Run `work` on the caller's connection (so in its transaction) in a thread of its own; the future
    answers what it returns. psycopg serializes the connection, so the caller's own queries wait."""
    connection.ensure_connection()
    raw: psycopg.Connection[Any] = connection.connection
    result: Future[T] = Future()

    def run() -> None:
        try:
            result.set_result(work(raw))
        except BaseException as error:  # handed to the caller, which raises it in its own thread
            result.set_exception(error)

    # Not threading.Thread: its start() waits until the new thread has run, and with the thread reading the
    # next chunk's patients holding the GIL, that took this one 3-30 ms a chunk, the database waiting too.
    _thread.start_new_thread(run, ())
    return result


def _merge_staged(
    raw: "psycopg.Connection[Any]", sql: _Statements, params: dict[str, Any], staged: int
) -> tuple[int, int]:
    # Client-side binding, whatever the connection's: one execute may then send several statements.
    with psycopg.ClientCursor(raw) as cursor:
        cursor.execute(sql.insert_new_skipping_stored, params)
        created = cursor.rowcount
        updated = 0
        if created < staged:
            # Rows already there: the old content of those that differ becomes a version, then they change.
            cursor.execute(sql.keep_versions, params)
            changed = [observation_id for (observation_id,) in cursor.fetchall()]
            if changed:
                cursor.execute(sql.update_changed, {**params, "ids": bigint_array(changed)})
                updated = cursor.rowcount
            cursor.execute(sql.find_stale, params)
            stale = [observation_id for (observation_id,) in cursor.fetchall()]
            if stale:
                cursor.execute(sql.refresh, {**params, "ids": bigint_array(stale)})
        cursor.execute(sql.empty_staging)
    return created, updated


def start_stored_as_sent(organization_id: int, keys: Sequence[tuple[str, str, int]]) -> "Future[set[int]]":
    """Start looking up which of `keys` (source system, source id, digest; one per held line) have their
    observation stored with that digest (chunk._skip_stored); the future answers their positions in `keys`.
    A key without a source id is never found.

    Runs in a thread of its own on the caller's connection and transaction, as the merge does, so the
    import parses its next chunk meanwhile; the caller waits for it before it commits. One index probe per
    line (LATERAL ... LIMIT 1): `source_id = ANY(...)` was planned as a scan of the organization's whole
    source system with a filter, chunk after chunk. A chunk from one source system, the usual, sends its
    system once and its positions not at all (WITH ORDINALITY): 0.9x the database's time, and half the
    Python's to build the parameters.
    """
    systems, ids, digests = zip(*keys, strict=True) if keys else ((), (), ())
    observation = connection.ops.quote_name(Observation._meta.db_table)
    probe = (
        f"CROSS JOIN LATERAL (SELECT o.{_column('source_digest')} AS digest FROM {observation} o "  # noqa: S608
        f"WHERE o.{_column('organization')} = %(organization)s AND o.{_column('source_system')} = {{system}} "
        f"AND o.{_column('source_id')} = k.id LIMIT 1) o WHERE o.digest = k.digest"
    )
    params: dict[str, int | str] = {"organization": organization_id}
    if len(set(systems)) == 1 and all(ids):
        keys_sent = (
            "SELECT array_agg(k.position - 1) FROM unnest(%(ids)s::text[], %(digests)s::bigint[]) "
            "WITH ORDINALITY AS k(id, digest, position) "
        )
        sql = keys_sent + probe.format(system="%(system)s")
        params |= {"system": systems[0], "ids": text_array(ids), "digests": bigint_array(digests)}
    else:
        lines = [(position, *key) for position, key in enumerate(keys) if key[1]]
        if not lines:
            found: Future[set[int]] = Future()
            found.set_result(set())
            return found
        keys_sent = (
            "SELECT array_agg(k.position) FROM unnest(%(positions)s::int[], %(systems)s::text[], "
            "%(ids)s::text[], %(digests)s::bigint[]) AS k(position, system, id, digest) "
        )
        sql = keys_sent + probe.format(system="k.system")
        positions, systems, ids, digests = zip(*lines, strict=True)
        params |= {
            "positions": bigint_array(positions),
            "systems": text_array(systems),
            "ids": text_array(ids),
            "digests": bigint_array(digests),
        }

    def look_up(raw: "psycopg.Connection[Any]") -> set[int]:
        with raw.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        return set(row[0] or ()) if row else set()

    return _beside(look_up)
