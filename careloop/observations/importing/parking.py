"""Parking results and visits for patients we do not know, once.

The same file sent twice must not put its unknown patients' results in the queue twice: a parked record
is known by its kind and its (source system, source id). Sent again, an entry still waiting is refreshed
(the source may have corrected the value); an entry staff have already filed under a patient is left
alone. Records without a source id are parked as they come.
"""

from collections.abc import Sequence

from careloop.observations.importing.keylookup import IN_LISTS, KeyLookup
from careloop.observations.models import UnmatchedResult

_REFRESHED = [
    "record",
    "batch",
    "received_at",
    "patient_name",
    "patient_birth_date",
    "patient_sex",
    "patient_mobile",
    "why",
]


def park(organization_id: int, rows: Sequence[UnmatchedResult], lookup: KeyLookup = IN_LISTS) -> int:
    """Store `rows` (unsaved) in the unmatched queue without duplicating what is there.

    Returns how many results and visits (not reports, which wait with them) are waiting for a patient
    after this, new or refreshed: what an import reports as unmatched."""
    latest: dict[tuple[str, str, str], UnmatchedResult] = {}
    loose: list[UnmatchedResult] = []
    for row in rows:  # the last of duplicates in one chunk wins, as it would across two imports
        if row.source_id:
            latest[(row.kind, row.source_system, row.source_id)] = row
        else:
            loose.append(row)
    stored: dict[tuple[str, str, str], tuple[int, bool]] = {}
    for keys in lookup.filters("source_id", list({key[2] for key in latest})):
        found = UnmatchedResult.objects.filter(organization_id=organization_id, **keys).values_list(
            "kind", "source_system", "source_id", "id", "resolved_at"
        )
        for kind, system, source_id, pk, resolved_at in lookup.rows(found):
            key = (kind, system, source_id)
            if key in latest and (key not in stored or resolved_at is not None):
                stored[key] = (pk, resolved_at is not None)
    new, refreshed = list(loose), []
    for key, row in latest.items():
        known = stored.get(key)
        if known is None:
            new.append(row)
        elif not known[1]:  # still waiting: the newest version of the record replaces the old one
            row.pk = known[0]
            refreshed.append(row)
    UnmatchedResult.objects.bulk_create(new, batch_size=1000)
    if refreshed:
        UnmatchedResult.objects.bulk_update(refreshed, _REFRESHED, batch_size=500)
    return sum(1 for row in new + refreshed if row.kind != "report")
