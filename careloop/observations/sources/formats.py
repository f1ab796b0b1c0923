"""Which parser reads a file, told by its name; and the column mapping a user writes for CSV/Excel."""

from collections.abc import Iterable, Iterator

from careloop.observations.importing import limits as importlimits
from careloop.observations.importing.limits import DEFAULT_LIMITS, ImportLimits
from careloop.observations.importing.parsed import ParseResult

# Suffix -> ImportBatch.kind. The one place that knows which files CareLoop reads.
KINDS = {
    ".ndjson": "fhir",
    ".jsonl": "fhir",
    ".json": "fhir",
    ".hl7": "hl7v2",
    ".txt": "hl7v2",
    ".csv": "csv",
    ".xlsx": "xlsx",
}
SUPPORTED_SUFFIXES = tuple(KINDS)


def _suffix(filename: str) -> str:
    name = filename.lower()
    return next((suffix for suffix in KINDS if name.endswith(suffix)), "")


def kind_for(filename: str) -> str:
    """fhir / hl7v2 / csv / xlsx — the ImportBatch.kind of a file (callers accept only supported names)."""
    return KINDS.get(_suffix(filename), "csv")


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
    hash_key: bytes = b"",
    organization_id: int | None = None,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> Iterator[ParseResult]:
    """The file as a sequence of ParseResult chunks (large NDJSON files stream in chunks).

    `organization_id`: the organization it is imported for, where known (see _stored_from).
    A file past one of `limits` is one chunk of one "too_large" problem, found before it is parsed
    (CSV and Excel: as soon as a row passes them)."""
    suffix = _suffix(filename)
    kind = KINDS.get(suffix)
    refusal = None
    if kind == "fhir":
        refusal = (importlimits.ndjson_refusal if suffix != ".json" else importlimits.bundle_refusal)(
            data, limits
        )
    elif kind == "hl7v2":
        refusal = importlimits.hl7_refusal(data, limits)
    if refusal is not None:
        yield ParseResult(problems=[importlimits.too_large(refusal)])
        return
    if kind == "fhir" and suffix != ".json":
        from careloop.observations import catalogue
        from careloop.observations.sources.fhir.ndjson import iter_ndjson

        # Lines stored exactly as they are now need not be read again (records.HeldLines).
        yield from iter_ndjson(
            data,
            source_system,
            unchanged_context=catalogue.fingerprint(),
            hold=organization_id is None or _stored_from(organization_id, source_system),
        )
    elif kind == "fhir":
        from careloop.observations.sources.fhir.bundle import parse_bundle

        yield parse_bundle(data, source_system)
    elif kind == "hl7v2":
        from careloop.observations.sources.hl7v2.parse import parse_file

        yield parse_file(data)
    else:
        from careloop.observations.sources.tabular import parse_table

        yield parse_table(
            data, source_system=source_system, mapping=mapping or None, hash_key=hash_key, limits=limits
        )


def _stored_from(organization_id: int, source_system: str) -> bool:
    """Whether the organization has results stored from this source system. Where it has none (the
    system's first import), no line can be stored as it is: holding lines to look for them only held the
    first merges back (the pipeline reads held lines a step later). Asked when the first chunk is wanted,
    on the import's connection, before any merge runs on it.
    """
    from careloop.observations.models import Observation
    from careloop.observations.sources.fhir.keys import SOURCE_SYSTEM_LENGTH

    return Observation.objects.filter(
        organization_id=organization_id, source_system=source_system[:SOURCE_SYSTEM_LENGTH]
    ).exists()
