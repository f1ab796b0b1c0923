"""Where an import's rows go: the store interface, and the one place that picks a store for the database.

The pipeline (pipeline.py, chunk.py) decides what to store; a store decides how. `DjangoStore`
(django_store.py) works on every database Django supports, set-based through the ORM; `PostgresStore`
(postgres/store.py) stages rows with COPY and merges them on a second connection while the pipeline
prepares the next chunk. Both keep the same rules: a row is known by its natural key (organization,
source system, source id); a new key is inserted; a stored row whose meaning changed (rows.MEANING) is
kept as an ObservationVersion and corrected; a stored row with the same meaning is left as it is, its
flag too, and counted unchanged.
"""

import datetime
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from careloop.observations.importing.keylookup import KeyLookup
from careloop.observations.importing.rows import ObservationRow


@dataclass
class MergeCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


class PendingMerge(ABC):
    """A merge the store may still be running; `counts` waits for it and raises what it raised."""

    @abstractmethod
    def counts(self) -> MergeCounts: ...


class DoneMerge(PendingMerge):
    def __init__(self, counts: MergeCounts) -> None:
        self._counts = counts

    def counts(self) -> MergeCounts:
        return self._counts


# A held line's key (parsed.HeldLines.keys): source system, source id ("" for none), digest of the line.
HeldKey = tuple[str, str, int]


class PendingLookup(ABC):
    """A look-up of held lines the store may still be running; `positions` waits for it and raises what
    it raised."""

    @abstractmethod
    def positions(self) -> set[int]: ...


class DoneLookup(PendingLookup):
    def __init__(self, positions: set[int]) -> None:
        self._positions = positions

    def positions(self) -> set[int]:
        return self._positions


class ObservationStore(ABC):
    """Writes an import's observations. `lookup` is how the domain steps look rows up by many keys."""

    lookup: KeyLookup

    @abstractmethod
    def step(self) -> AbstractContextManager[None]:
        """One step of an import on the import's connection: a transaction of its own, or a part of the
        caller's when the caller holds one."""

    @abstractmethod
    def start_merge(
        self,
        organization_id: int,
        batch_id: int | None,
        rows: Sequence[ObservationRow],
        now: datetime.datetime,
    ) -> PendingMerge:
        """Merge `rows` (the last of a natural key's wins), written by `batch_id` at `now`.

        The merge is part of the caller's transaction if one is open, else a transaction of its own,
        committed by the time `counts()` answers; an overlapping store runs it while the caller goes on.
        """

    @abstractmethod
    def look_up_held(self, organization_id: int, keys: Sequence[HeldKey]) -> PendingLookup:
        """The positions in `keys` whose observation is stored with that digest: the line that made it
        (parsed.HeldLines). A key without a source id is never found.

        The look-up sees what every merge started before it wrote, and nothing of a merge started after;
        an overlapping store runs it while the caller goes on."""

    @abstractmethod
    def close(self) -> None:
        """Wait for what is still running and free what the store opened."""


@contextmanager
def open_store(overlap: bool = False) -> Iterator[ObservationStore]:
    """The store for the default database. `overlap`: the caller commits each step (keep_good) and may go
    on while a merge runs; a store that cannot, or a caller inside a transaction, merges in place."""
    if connection.vendor == "postgresql":
        from careloop.observations.importing.postgres.store import PostgresStore

        store: ObservationStore = PostgresStore(overlap=overlap and not connection.in_atomic_block)
    else:
        from careloop.observations.importing.django_store import DjangoStore

        store = DjangoStore()
    try:
        yield store
    finally:
        store.close()


def merge_observations(
    organization_id: int, batch_id: int | None, rows: Sequence[ObservationRow]
) -> MergeCounts:
    """`rows` merged through the default database's store, in the caller's transaction if one is open."""
    with open_store() as store:
        return store.start_merge(organization_id, batch_id, rows, timezone.now()).counts()
