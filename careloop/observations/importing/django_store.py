"""The store for any database Django supports (SQLite in development and tests): set-based, through the ORM.

A chunk's rows are looked up by natural key in one query per few hundred keys; new rows are inserted with
one bulk_create, corrected ones versioned and updated in bulk, the rest only counted (store.py).
"""

import datetime
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from django.db import transaction

from careloop.observations.importing.keylookup import IN_LISTS, KeyLookup
from careloop.observations.importing.rows import (
    CORRECTED,
    MEANING,
    REFRESHED,
    VERSIONED,
    ObservationRow,
    one_per_key,
    same_meaning,
)
from careloop.observations.importing.store import (
    DoneLookup,
    DoneMerge,
    HeldKey,
    MergeCounts,
    ObservationStore,
    PendingLookup,
    PendingMerge,
)
from careloop.observations.models import Observation, ObservationVersion

# The columns of a row, in order (rows.ObservationRow).
COLUMNS = ObservationRow._fields
# What the merge reads of a stored row: enough to compare its meaning and keep it as a version.
_READ = ("id", "version", *REFRESHED, *dict.fromkeys((*MEANING, *VERSIONED)))


class DjangoStore(ObservationStore):
    lookup: KeyLookup = IN_LISTS

    def step(self) -> AbstractContextManager[None]:
        return transaction.atomic(savepoint=False)

    def start_merge(
        self,
        organization_id: int,
        batch_id: int | None,
        rows: Sequence[ObservationRow],
        now: datetime.datetime,
    ) -> PendingMerge:
        with transaction.atomic(savepoint=False):
            counts = merge_rows(organization_id, batch_id, one_per_key(list(rows)), now, self.lookup)
        return DoneMerge(counts)

    def close(self) -> None:
        """Nothing runs after a merge returns, and the store opens nothing."""

    def look_up_held(self, organization_id: int, keys: Sequence[HeldKey]) -> PendingLookup:
        lines = [(position, *key) for position, key in enumerate(keys) if key[1]]
        stored = stored_columns(
            organization_id, [(system, source_id) for _, system, source_id, _ in lines], ["source_digest"]
        )
        return DoneLookup(
            {
                position
                for position, system, source_id, digest in lines
                if (system, source_id) in stored and stored[(system, source_id)]["source_digest"] == digest
            }
        )


def merge_rows(
    organization_id: int,
    batch_id: int | None,
    rows: list[ObservationRow],
    now: datetime.datetime,
    lookup: KeyLookup = IN_LISTS,
) -> MergeCounts:
    """Merge `rows` (one per natural key) in the caller's transaction."""
    counts = MergeCounts()
    stored = stored_columns(
        organization_id, [(row.source_system, row.source_id) for row in rows], _READ, lookup
    )
    new: list[Observation] = []
    versions: list[ObservationVersion] = []
    corrected: list[Observation] = []
    refreshed: list[Observation] = []
    for row in rows:
        current = stored.get((row.source_system, row.source_id))
        if current is None:
            new.append(
                Observation(
                    organization_id=organization_id,
                    batch_id=batch_id,
                    version=1,
                    updated_at=now,
                    **row._asdict(),
                )
            )
            continue
        observation_id, version = current["id"], current["version"]
        if same_meaning(tuple(current[name] for name in MEANING), row):
            counts.unchanged += 1
            if any(current[name] != getattr(row, name) for name in REFRESHED):
                refreshed.append(
                    Observation(id=observation_id, **{name: getattr(row, name) for name in REFRESHED})
                )
            continue
        before = {name: current[name] for name in VERSIONED}
        versions.append(
            ObservationVersion(
                observation_id=observation_id,
                version=version,
                replaced_at=now,
                replaced_by_batch_id=batch_id,
                **before,
            )
        )
        corrected.append(
            Observation(
                id=observation_id,
                version=version + 1,
                batch_id=batch_id,
                updated_at=now,
                **{name: getattr(row, name) for name in CORRECTED},
            )
        )
    Observation.objects.bulk_create(new, batch_size=1000)
    counts.created = len(new)
    if versions:
        ObservationVersion.objects.bulk_create(versions, batch_size=1000)
        fields = [*CORRECTED, "version", "batch_id", "updated_at"]
        Observation.objects.bulk_update(corrected, fields, batch_size=500)
        counts.updated = len(corrected)
    if refreshed:
        Observation.objects.bulk_update(refreshed, list(REFRESHED), batch_size=500)
    return counts


def stored_columns(
    organization_id: int,
    keys: Iterable[tuple[str, str]],
    columns: Sequence[str],
    lookup: KeyLookup = IN_LISTS,
) -> dict[tuple[str, str], dict[str, Any]]:
    """The given columns (by name) of the stored observations with these natural keys (system, source id)."""
    by_system: dict[str, list[str]] = {}
    for system, source_id in keys:
        by_system.setdefault(system, []).append(source_id)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for system, source_ids in by_system.items():
        observations = Observation.objects.filter(organization_id=organization_id, source_system=system)
        for filters in lookup.filters("source_id", source_ids):
            for values in observations.filter(**filters).values("source_id", *columns):
                found[(system, values["source_id"])] = values
    return found
