"""FHIR R4 in: Bundles and NDJSON of Patient, Observation, DiagnosticReport and Encounter -> neutral records.

Pure (no Django, no database) and fast: msgspec Structs for the common Observation line, orjson and plain
dict access for the rest, no fhir.resources/pydantic.
- `parse_bundle(data, source_system, hash_key=...)` -> ParseResult
- `iter_ndjson(data, source_system, hash_key=..., chunk_size=10_000)` -> ParseResult chunks
- `parse_datetime` for FHIR date/dateTime/instant text
"""

from careloop.observations.sources.fhir.bundle import parse_bundle
from careloop.observations.sources.fhir.dates import SHANGHAI, parse_datetime
from careloop.observations.sources.fhir.ndjson import iter_ndjson, parse_ndjson
from careloop.observations.sources.fhir.references import References

__all__ = [
    "SHANGHAI",
    "References",
    "iter_ndjson",
    "parse_bundle",
    "parse_datetime",
    "parse_ndjson",
]
