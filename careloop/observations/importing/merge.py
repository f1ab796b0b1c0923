"""Merging normalized results into the observation table, set-based and idempotent.

A chunk of rows is looked up by its natural key (organization, source system, source id) in one query per
source system; new rows are inserted in one statement, rows whose content changed keep their old value as
an ObservationVersion and are updated in bulk, identical rows are only counted. Running the same import
twice therefore writes nothing the second time.
"""

import datetime
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, wait
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone
from psycopg.abc import Buffer

from careloop.bulkinsert import RowInserter
from careloop.observations.importing.keylookup import key_filters
from careloop.observations.importing.postgres import copy_rows
from careloop.observations.importing.postgres import merge as merge_postgres
from careloop.observations.models import Observation, ObservationVersion

# Columns whose change makes a correction (a new version); the rest of a row describes provenance.
CONTENT = (
    "patient_id",
    "code",
    "value",
    "unit",
    "comparator",
    "value_reported",
    "unit_reported",
    "flag",
    "effective_at",
    "status",
)
# What an ObservationVersion keeps of the row it replaces.
VERSIONED = ("value", "unit", "value_reported", "unit_reported", "flag", "effective_at", "status")
# Columns that follow the row's source without making a version: a line's digest changes with its
# spelling (see records.HeldLines), and a stored row takes the digest of the line it was last found in.
REFRESHED = ("source_digest",)
# The columns a merge writes, in the order of a row tuple. A row's effective_at is as `merge_time` makes it.
COLUMNS = (
    *CONTENT,
    "source_kind",
    "source_system",
    "source_id",
    "report_id",
    "reference_range_reported",
    *REFRESHED,
)
# The columns a merge sets itself on a row it inserts (the version is 1), at the end of each merge row:
# a row carries all it writes, and COPY sends it as it is.
WRITTEN = ("organization_id", "batch_id", "version", "updated_at")
MERGE_COLUMNS = (*COLUMNS, *WRITTEN)
_SOURCE_SYSTEM = COLUMNS.index("source_system")
_SOURCE_ID = COLUMNS.index("source_id")
_EFFECTIVE_AT = COLUMNS.index("effective_at")
_CONTENT_INDEX = [COLUMNS.index(name) for name in CONTENT]
_REFRESHED_INDEX = [COLUMNS.index(name) for name in REFRESHED]


@dataclass
class MergeCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _same(a: Any, b: Any) -> bool:
    """Whether a stored column value and a new one are the same (floats within 1e-9)."""
    if isinstance(a, datetime.datetime) and isinstance(b, datetime.datetime):
        return a == b
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return abs(float(a) - float(b)) < 1e-9
    same: bool = a == b  # any other column value (text, ids, None)
    return same


class PendingMerge:
    """A merge under way (on PostgreSQL the database inserts while the caller goes on); `counts()` waits."""

    def __init__(
        self, total: int, done: MergeCounts | None = None, writing: "Future[tuple[int, int]] | None" = None
    ):
        self.total = total
        self._done = done
        self._writing = writing

    def wait(self) -> None:
        """Until the database is done (or failed: `counts()` raises the error)."""
        if self._writing is not None:
            wait([self._writing])

    def counts(self) -> MergeCounts:
        if self._done is None:
            assert self._writing is not None
            with connection.wrap_database_errors:  # the driver's errors as Django's, as from a cursor
                created, updated = self._writing.result()
            self._done = MergeCounts(created, updated, self.total - created - updated)
        return self._done


def merge_time() -> Callable[[datetime.datetime], Any]:
    """How a time travels in a merge row on this database: on PostgreSQL as binary COPY sends a timestamptz
    (copy_rows.copy_time), elsewhere as the datetime itself.

    On PostgreSQL formatting the datetime for COPY took 60 % of formatting a row; the import's rows
    meet one time per specimen, made once (chunk.normalize_rows).
    """
    return copy_rows.copy_time if connection.vendor == "postgresql" else _as_is


def _as_is(moment: datetime.datetime) -> datetime.datetime:
    return moment


def written_by(organization_id: int, batch_id: int | None, now: datetime.datetime) -> tuple[Any, ...]:
    """What a merge row ends with (WRITTEN): its organization and batch, version 1, and `now` as
    `merge_time` makes it."""
    return (organization_id, batch_id, 1, merge_time()(now))


def merge_observations(
    organization_id: int, batch_id: int | None, rows: list[tuple[Any, ...]], expect_new: bool = False
) -> MergeCounts:
    """Insert new results, version and update corrected ones, count the ones already there.

    `rows` are in COLUMNS order with effective_at a datetime. The caller holds the transaction.
    `expect_new` (the keys are probably new, see merge_postgres) only changes how fast it goes, not what
    it does.
    """
    time_of, now = merge_time(), timezone.now()
    written = written_by(organization_id, batch_id, now)
    timed = [
        (*row[:_EFFECTIVE_AT], time_of(row[_EFFECTIVE_AT]), *row[_EFFECTIVE_AT + 1 :], *written)
        for row in rows
    ]
    return start_merge(organization_id, batch_id, MergeRows.of(timed, now), expect_new).counts()


@dataclass(frozen=True)
class MergeRows:
    """Rows (MERGE_COLUMNS order, their times as `merge_time` makes them, written `now`) made ready to
    merge: one per natural key, and on PostgreSQL already in the format COPY sends them in, which the
    import makes while the database merges the chunk before."""

    rows: list[tuple[Any, ...]]
    now: datetime.datetime
    copy_data: Buffer = b""

    @classmethod
    def of(cls, rows: list[tuple[Any, ...]], now: datetime.datetime) -> "MergeRows":
        unique = _one_per_key(rows)
        if connection.vendor != "postgresql":
            return cls(unique, now)
        return cls(unique, now, copy_rows.copy_data(unique, MERGE_COLUMNS))


def _one_per_key(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """`rows` itself where no two share a natural key, else one per key (`_latest`). A chunk from one
    source system, the usual, is told unique by its source ids alone, without a key tuple per row (a third
    of the time)."""
    if len({row[_SOURCE_SYSTEM] for row in rows}) <= 1 and len({row[_SOURCE_ID] for row in rows}) == len(
        rows
    ):
        return rows
    latest = _latest(rows)
    return rows if len(latest) == len(rows) else list(latest.values())


def _latest(rows: Iterable[tuple[Any, ...]]) -> dict[tuple[str, str], tuple[Any, ...]]:
    """The rows by natural key: the last of duplicates wins, as it would across two imports."""
    return {(row[_SOURCE_SYSTEM], row[_SOURCE_ID]): row for row in rows}


def start_merge(
    organization_id: int, batch_id: int | None, rows: MergeRows, expect_new: bool = False
) -> PendingMerge:
    """`merge_observations`, returning before the database is done where it can (PostgreSQL).

    The caller must wait for `counts()` before it commits or rolls back, and should not use the
    database meanwhile (it would wait).
    """
    if connection.vendor == "postgresql":
        writing = merge_postgres.start_merge(
            organization_id,
            batch_id,
            rows.now,
            rows.copy_data,
            len(rows.rows),
            MERGE_COLUMNS,
            CONTENT,
            VERSIONED,
            REFRESHED,
            expect_new=expect_new,
        )
        return PendingMerge(len(rows.rows), writing=writing)
    return PendingMerge(
        len(rows.rows), done=_merge_here(organization_id, batch_id, rows.now, _latest(rows.rows))
    )


def _merge_here(
    organization_id: int,
    batch_id: int | None,
    now: datetime.datetime,
    latest: dict[tuple[str, str], tuple[Any, ...]],
) -> MergeCounts:
    """The merge with the comparison in Python, for databases without COPY (SQLite)."""
    counts = MergeCounts()
    # Plain tuples, not model instances: most rows of a re-import are only compared, never changed.
    existing = _stored(organization_id, latest, "id", "version", *REFRESHED, *CONTENT)
    inserter = RowInserter(Observation, MERGE_COLUMNS)
    versions: list[ObservationVersion] = []
    changed: list[Observation] = []
    refreshed: list[Observation] = []
    for key, row in latest.items():
        current = existing.get(key)
        if current is None:
            inserter.add(row)
            continue
        observation_id, version, *old = current
        old_refreshed, old = old[: len(REFRESHED)], old[len(REFRESHED) :]
        new_refreshed = {name: row[index] for name, index in zip(REFRESHED, _REFRESHED_INDEX, strict=True)}
        new = [row[index] for index in _CONTENT_INDEX]
        if all(_same(a, b) for a, b in zip(old, new, strict=True)):
            counts.unchanged += 1
            if list(new_refreshed.values()) != old_refreshed:
                refreshed.append(Observation(id=observation_id, **new_refreshed))
            continue
        before = {name: value for name, value in zip(CONTENT, old, strict=True) if name in VERSIONED}
        versions.append(
            ObservationVersion(
                observation_id=observation_id,
                version=version,
                replaced_at=now,
                replaced_by_batch_id=batch_id,
                **before,
            )
        )
        changed.append(
            Observation(
                id=observation_id,
                version=version + 1,
                batch_id=batch_id,
                updated_at=now,
                **dict(zip(CONTENT, new, strict=True)),
                **new_refreshed,
            )
        )
    counts.created = inserter.flush()
    if versions:
        ObservationVersion.objects.bulk_create(versions, batch_size=1000)
        Observation.objects.bulk_update(
            changed, [*CONTENT, *REFRESHED, "version", "batch_id", "updated_at"], batch_size=500
        )
        counts.updated = len(changed)
    if refreshed:
        Observation.objects.bulk_update(refreshed, list(REFRESHED), batch_size=500)
    return counts


def _stored(
    organization_id: int, keys: Iterable[tuple[str, str]], *columns: str
) -> dict[tuple[str, str], tuple[Any, ...]]:
    """The given columns of the stored observations with these natural keys (source system, source id)."""
    by_system: dict[str, list[str]] = {}
    for system, source_id in keys:
        by_system.setdefault(system, []).append(source_id)
    found: dict[tuple[str, str], tuple[Any, ...]] = {}
    for system, source_ids in by_system.items():
        observations = Observation.objects.filter(organization_id=organization_id, source_system=system)
        for lookup in key_filters("source_id", source_ids):
            for source_id, *values in observations.filter(**lookup).values_list("source_id", *columns):
                found[(system, source_id)] = tuple(values)
    return found


def start_stored_as_sent(organization_id: int, keys: Sequence[tuple[str, str, int]]) -> "Future[set[int]]":
    """Of `keys` (source system, source id, digest of the line; one per line), the positions whose
    observation is stored with that digest: the line that made it (records.HeldLines). A key without a
    source id is never found.

    On PostgreSQL the database looks them up while the caller goes on; it must wait for the answer
    (`stored_positions`) before it commits or rolls back. Elsewhere the answer is there at once.
    """
    if connection.vendor == "postgresql":
        return merge_postgres.start_stored_as_sent(organization_id, keys)
    lines = [(position, *key) for position, key in enumerate(keys) if key[1]]
    stored = _stored(
        organization_id, [(system, source_id) for _, system, source_id, _ in lines], "source_digest"
    )
    found: Future[set[int]] = Future()
    found.set_result(
        {
            position
            for position, system, source_id, digest in lines
            if stored.get((system, source_id)) == (digest,)
        }
    )
    return found


def stored_positions(looking_up: "Future[set[int]]") -> set[int]:
    """The answer of `start_stored_as_sent`, once the database has it; its errors raised as Django's."""
    with connection.wrap_database_errors:
        return looking_up.result()
