"""Which parser reads a file, told by its name and, where names are ambiguous, by its first bytes."""

from collections.abc import Iterator

from careloop.observations.records import ParseResult, Problem

SUPPORTED_SUFFIXES = (".ndjson", ".jsonl", ".json", ".hl7", ".txt", ".csv", ".xlsx")


def kind_for(filename: str) -> str:
    """fhir / hl7v2 / csv / xlsx — the ImportBatch.kind of a file."""
    name = filename.lower()
    if name.endswith((".ndjson", ".jsonl", ".json")):
        return "fhir"
    if name.endswith((".hl7", ".txt")):
        return "hl7v2"
    if name.endswith(".xlsx"):
        return "xlsx"
    return "csv"


def read_chunks(
    data: bytes, filename: str, source_system: str, mapping: dict[str, str], hash_key: bytes = b""
) -> Iterator[ParseResult]:
    """The file as a sequence of ParseResult chunks (large NDJSON files stream in chunks)."""
    name = filename.lower()
    if name.endswith((".ndjson", ".jsonl")):
        from careloop.observations.fhir.ndjson import iter_ndjson

        yield from iter_ndjson(data, source_system)
    elif name.endswith(".json"):
        from careloop.observations.fhir.bundle import parse_bundle

        yield parse_bundle(data, source_system)
    elif name.endswith((".hl7", ".txt")):
        from careloop.observations.hl7v2.parse import parse_file

        yield parse_file(data)
    elif name.endswith((".csv", ".xlsx")):
        from careloop.observations.tabular import parse_table

        yield parse_table(data, source_system=source_system, mapping=mapping or None, hash_key=hash_key)
    else:
        yield ParseResult(
            problems=[Problem("file", "", filename, "not a supported file type", "unsupported")]
        )
