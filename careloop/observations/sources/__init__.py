"""The formats results arrive in, one package each: fhir/, hl7v2/, tabular/ (CSV and Excel).

A package's parsers are pure (no Django, no database) and turn bytes into the typed records of
`importing.parsed`. Each format is declared as a `SourceFormat` (its suffixes, its ImportBatch kind and its
reader) and registered in formats.py, which is the one place that knows which files CareLoop reads.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from careloop.observations.importing.limits import ImportLimits
from careloop.observations.importing.parsed import ParseResult, Reason


@dataclass(frozen=True)
class SourceFile:
    """A file to read, with everything a reader may need besides its bytes."""

    data: bytes
    filename: str
    source_system: str
    mapping: dict[str, str]  # our field -> their header (CSV and Excel)
    # The organization's index key: every id a reader derives from something that may hold a resident ID
    # number or a phone is a hash keyed with it (tabular stable_id, fhir keyed_id, NDJSON digests).
    hash_key: bytes
    limits: ImportLimits
    unchanged_context: bytes  # what else decides how a line is read (the indicator catalogue's fingerprint)
    stored_before: Callable[[], bool]  # whether results from this source system are stored already


@dataclass(frozen=True)
class SourceFormat:
    """One format CareLoop reads."""

    kind: str  # ImportBatch.kind
    suffixes: tuple[str, ...]  # lower case, with the dot
    read: Callable[[SourceFile], Iterator[ParseResult]]
    # A file past one of the limits, told before it is parsed; None where the reader finds that itself.
    refusal: Callable[[bytes, ImportLimits], Reason | None] | None = None
