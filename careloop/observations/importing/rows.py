"""The row an import stores for a result, and what makes a stored row "changed" by a re-import.

Pure: no Django import. Every store (store.py) writes `ObservationRow`s; the columns named here are the
model's (observations.models.Observation), so a store can name them in SQL or ORM calls.
"""

import datetime
from typing import NamedTuple


class ObservationRow(NamedTuple):
    """One normalized result, ready to store: the value in the indicator's canonical unit, judged."""

    patient_id: int
    code: str  # the catalogue indicator's code
    value: float  # in `unit`, the indicator's canonical unit
    unit: str
    comparator: str  # "<", ">", "<=", ">=" or ""
    value_reported: str  # as the source sent it, for display
    unit_reported: str
    flag: str  # flags.flag when the value arrived (or was corrected), "" when not judged
    effective_at: datetime.datetime
    status: str
    source_kind: str
    source_system: str
    source_id: str
    report_id: int | None  # the ExamReport the result belongs to
    reference_range_reported: str
    source_digest: int | None  # the digest of the source line the row was last found in (HeldLines)


# What a result means. A re-imported result whose meaning is the stored one's leaves the stored row as it
# is, its flag too, whatever its spelling, encoding or format: a result is judged when it arrives. A change
# of any of these is a correction: the stored row becomes a version, and the new one is judged again.
MEANING = ("patient_id", "code", "value", "unit", "comparator", "effective_at", "status")
# What an ObservationVersion keeps of the row a correction replaces.
VERSIONED = ("value", "unit", "value_reported", "unit_reported", "flag", "effective_at", "status")
# Provenance a stored row takes from a re-import even when its meaning is the same.
REFRESHED = ("source_digest",)
# The columns a correction writes: all of the row's but its natural key (organization, system, source id).
CORRECTED = tuple(name for name in ObservationRow._fields if name not in ("source_system", "source_id"))

_MEANING_INDEX = tuple(ObservationRow._fields.index(name) for name in MEANING)
_FLOAT_TOLERANCE = 1e-9


def same_value(stored: object, new: object) -> bool:
    """Whether a stored column value and a new one are the same (floats within 1e-9)."""
    if isinstance(stored, float) or isinstance(new, float):
        if stored is None or new is None:
            return stored is new
        assert isinstance(stored, int | float) and isinstance(new, int | float)
        return abs(float(stored) - float(new)) < _FLOAT_TOLERANCE
    return stored == new


def meaning(row: ObservationRow) -> tuple[object, ...]:
    """The MEANING columns of a row, in that order."""
    return tuple(row[index] for index in _MEANING_INDEX)


def same_meaning(stored: tuple[object, ...], row: ObservationRow) -> bool:
    """Whether a stored row's MEANING columns (in that order) are what `row` means."""
    return all(same_value(old, new) for old, new in zip(stored, meaning(row), strict=True))


def one_per_key(rows: list[ObservationRow]) -> list[ObservationRow]:
    """One row per natural key (source system, source id): the last of duplicates wins, as it would
    across two imports."""
    latest = {(row.source_system, row.source_id): row for row in rows}
    return rows if len(latest) == len(rows) else list(latest.values())
