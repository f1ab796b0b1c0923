"""The registry of formats: which reader reads a file, told by its name; and the column mapping a user
writes for CSV/Excel.

Each source package declares its formats (fhir/formats.py, hl7v2/formats.py; the tabular ones are
declared here until tabular/ declares its own). `read_chunks` is the one way a file is read for an import,
and it gives every reader the organization's index key itself, from the settings: a caller cannot forget
it, so ids derived from a resident ID number are keyed whoever imports the file.
"""

import os
from collections.abc import Iterable, Iterator

from django.conf import settings

from careloop.observations import catalogue
from careloop.observations.importing.limits import DEFAULT_LIMITS, ImportLimits, too_large
from careloop.observations.importing.parsed import ParseResult
from careloop.observations.sources import SourceFile, SourceFormat
from careloop.observations.sources.fhir import formats as fhir_formats
from careloop.observations.sources.fhir.keys import SOURCE_SYSTEM_LENGTH
from careloop.observations.sources.hl7v2 import formats as hl7v2_formats
from careloop.observations.sources.tabular import parse_table


def read_table(file: SourceFile) -> Iterator[ParseResult]:
    """CSV or .xlsx, told apart by content; a file past the limits is refused as soon as a row passes them."""
    yield parse_table(
        file.data,
        source_system=file.source_system,
        mapping=file.mapping or None,
        hash_key=file.hash_key,
        limits=file.limits,
    )


CSV = SourceFormat("csv", (".csv",), read_table)
XLSX = SourceFormat("xlsx", (".xlsx",), read_table)
FORMATS: tuple[SourceFormat, ...] = (*fhir_formats.FORMATS, *hl7v2_formats.FORMATS, CSV, XLSX)
BY_SUFFIX = {suffix: source_format for source_format in FORMATS for suffix in source_format.suffixes}
# Suffix -> ImportBatch.kind.
KINDS = {suffix: source_format.kind for suffix, source_format in BY_SUFFIX.items()}
SUPPORTED_SUFFIXES = tuple(BY_SUFFIX)


def format_for(filename: str) -> SourceFormat:
    """The format a file's name says; a name we do not read is taken for CSV (callers accept only
    supported names, SUPPORTED_SUFFIXES)."""
    return BY_SUFFIX.get(os.path.splitext(filename.lower())[1], CSV)


def kind_for(filename: str) -> str:
    """fhir / hl7v2 / csv / xlsx — the ImportBatch.kind of a file."""
    return format_for(filename).kind


def parse_mapping(pairs: Iterable[str]) -> dict[str, str]:
    """`our_field=their header` items into a mapping; ValueError names the 1-based item that is malformed."""
    mapping: dict[str, str] = {}
    for number, pair in enumerate(pairs, start=1):
        if not pair.strip():
            continue
        ours, sep, theirs = pair.partition("=")
        if not sep or not ours.strip() or not theirs.strip():
            raise ValueError(number)
        mapping[ours.strip()] = theirs.strip()
    return mapping


def read_chunks(
    data: bytes,
    filename: str,
    source_system: str,
    mapping: dict[str, str],
    *,
    organization_id: int | None = None,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> Iterator[ParseResult]:
    """The file as a sequence of ParseResult chunks (large NDJSON files stream in chunks).

    `organization_id`: the organization it is imported for, where known (see _stored_from).
    A file past one of `limits` is one chunk of one "too_large" problem, found before it is parsed
    (CSV and Excel: as soon as a row passes them). Nothing is read before the first chunk is asked for.
    """
    source_format = format_for(filename)
    refusal = source_format.refusal(data, limits) if source_format.refusal is not None else None
    if refusal is not None:
        yield ParseResult(problems=[too_large(refusal)])
        return
    file = SourceFile(
        data,
        filename,
        source_system,
        mapping,
        hash_key=settings.INDEX_KEY.encode(),
        limits=limits,
        unchanged_context=catalogue.fingerprint(),
        stored_before=lambda: organization_id is None or _stored_from(organization_id, source_system),
    )
    yield from source_format.read(file)


def _stored_from(organization_id: int, source_system: str) -> bool:
    """Whether the organization has results stored from this source system. Where it has none (the
    system's first import), no line can be stored as it is: holding lines to look for them only held the
    first merges back (the pipeline reads held lines a step later). Asked when the first chunk is wanted,
    on the import's connection, before any merge runs on it.
    """
    from careloop.observations.models import Observation

    return Observation.objects.filter(
        organization_id=organization_id, source_system=source_system[:SOURCE_SYSTEM_LENGTH]
    ).exists()
