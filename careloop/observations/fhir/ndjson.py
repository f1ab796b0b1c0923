"""FHIR NDJSON (Bulk Data export: one resource per line) -> ParseResult chunks, streamed.

`iter_ndjson` yields a ParseResult every `chunk_size` lines so the import pipeline can merge one chunk
while the next is parsed. Blank lines are skipped; a line that is not JSON is a "malformed" Problem; a
resource that fails a check is one Problem with "line N" and the field path; nothing stops the stream.
Resource types we do not import are counted, not reported line by line: the last chunk carries one
"unsupported" Problem per type with its count and the line of the first one.

Several files of one export (Patient.ndjson, DiagnosticReport.ndjson, Observation.ndjson) can share one
`References`: read Patients and DiagnosticReports first and the Observations resolve "Patient/<id>" to
the patient's identifiers and carry their report's id.
"""

import datetime
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from careloop.observations.fhir.dates import SHANGHAI
from careloop.observations.fhir.parse import References, ResourceMapper
from careloop.observations.records import ParseResult, Problem, ResultRecord, because

CHUNK_SIZE = 10_000


def iter_ndjson(
    source: bytes | Iterable[bytes],
    source_system: str,
    *,
    default_tz: datetime.tzinfo = SHANGHAI,
    chunk_size: int = CHUNK_SIZE,
    references: References | None = None,
    source_kind: str = "hospital_system",
    as_rows: bool = False,
) -> Iterator[ParseResult]:
    """Stream NDJSON (bytes, or a binary file / any iterable of lines) as ParseResult chunks.

    With as_rows=True each chunk's `rows` holds plain tuples in RESULT_FIELDS order instead of
    ResultRecords in `results` (`ResultRecord(*row)` rebuilds one): the columnar fast path, ~1.4x the lines/s,
    because building a frozen 13-field dataclass costs about as much as the JSON parsing (2.8 us a
    record here, 0.4 us unfrozen); tests/observations/test_fhir_ndjson.py::test_parser_speed prints both.
    """
    mapper = ResourceMapper(source_system, default_tz, source_kind, references, as_rows)
    lines = source.splitlines() if isinstance(source, bytes | bytearray) else source
    loads, decode_error, add, common_row = orjson.loads, orjson.JSONDecodeError, mapper.add, mapper.common_row
    out = ParseResult()
    rows = out.rows
    results = out.results
    pending = 0
    for number, line in enumerate(lines, 1):
        if not line or line.isspace():
            continue
        where = f"line {number}"
        try:
            resource = loads(line)
        except decode_error as error:
            # The line itself is not echoed: it may hold an ID number; the position is enough to find it.
            reason = because("is not JSON: %(error)s", error=error)
            out.problems.append(Problem(where, "", "", reason, "malformed"))
        else:
            # The common Observation straight to a row; anything else (or unusual) through the full mapper.
            row = common_row(resource, where)  # not a dict: its subscripts fail, and it answers None
            if row is None:
                add(resource, where, out)
            elif as_rows:
                rows.append(row)
            else:
                results.append(ResultRecord(*row))
        pending += 1
        if pending >= chunk_size:
            yield out
            out, pending = ParseResult(), 0
            rows, results = out.rows, out.results
    out.problems.extend(mapper.unsupported_problems())
    if pending or out.problems:
        yield out


def parse_ndjson(source: bytes | Iterable[bytes], source_system: str, **options: Any) -> ParseResult:
    """The whole file as one ParseResult (small files, tests)."""
    whole = ParseResult()
    for chunk in iter_ndjson(source, source_system, **options):
        whole.results += chunk.results
        whole.rows += chunk.rows
        whole.reports += chunk.reports
        whole.encounters += chunk.encounters
        whole.patients += chunk.patients
        whole.problems += chunk.problems
    return whole


# LOINC codes and plausible values for the synthetic feed (for benchmarks and tests; not clinical data).
_SYNTHETIC = (
    ("8480-6", "mm[Hg]", "128"),
    ("8462-4", "mm[Hg]", "82"),
    ("1558-6", "mmol/L", "5.6"),
    ("2093-3", "mmol/L", "4.9"),
    ("4548-4", "%", "6.1"),
)


def synthetic_observations(count: int, patients: int = 1000) -> bytes:
    """`count` Observation lines of the shape a Bulk Data export sends, for measuring the parser.

    Each run of 5 lines is one specimen: one patient, one time. No two specimens share a time, and the
    patients take turns, so a feed longer than 5 x `patients` lines meets each patient again.
    """
    lines = []
    start = datetime.datetime(2020, 1, 1, 8, 0, tzinfo=SHANGHAI)
    for index in range(count):
        code, unit, value = _SYNTHETIC[index % len(_SYNTHETIC)]
        when = (start + datetime.timedelta(minutes=index // len(_SYNTHETIC))).isoformat()
        lines.append(
            b'{"resourceType":"Observation","id":"obs-%d","meta":{"source":"http://his.example.cn/fhir"},'
            b'"status":"final","category":[{"coding":[{"system":'
            b'"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],'
            b'"code":{"coding":[{"system":"http://loinc.org","code":"%s"}],"text":"test"},'
            b'"subject":{"reference":"Patient/p%d"},"effectiveDateTime":"%s",'
            b'"valueQuantity":{"value":%s,"unit":"%s","system":"http://unitsofmeasure.org","code":"%s"},'
            b'"referenceRange":[{"low":{"value":3.9},"high":{"value":6.1}}]}'
            % (
                index,
                code.encode(),
                index // len(_SYNTHETIC) % patients,
                when.encode(),
                value.encode(),
                unit.encode(),
                unit.encode(),
            )
        )
    return b"\n".join(lines) + b"\n"
