"""FHIR's formats: NDJSON (a Bulk Data export, streamed in chunks) and a Bundle (read whole)."""

from collections.abc import Iterator

from careloop.observations.importing.limits import bundle_refusal, ndjson_refusal
from careloop.observations.importing.parsed import ParseResult
from careloop.observations.sources import SourceFile, SourceFormat
from careloop.observations.sources.fhir.bundle import parse_bundle
from careloop.observations.sources.fhir.ndjson import iter_ndjson


def read_ndjson(file: SourceFile) -> Iterator[ParseResult]:
    """Lines stored exactly as they are now need not be read again (HeldLines); where nothing from the
    source is stored yet, none are held to look for."""
    yield from iter_ndjson(
        file.data,
        file.source_system,
        unchanged_context=file.unchanged_context,
        hold=file.stored_before(),
        hash_key=file.hash_key,
    )


def read_bundle(file: SourceFile) -> Iterator[ParseResult]:
    yield parse_bundle(file.data, file.source_system, hash_key=file.hash_key)


NDJSON = SourceFormat("fhir", (".ndjson", ".jsonl"), read_ndjson, ndjson_refusal)
BUNDLE = SourceFormat("fhir", (".json",), read_bundle, bundle_refusal)
FORMATS = (NDJSON, BUNDLE)
