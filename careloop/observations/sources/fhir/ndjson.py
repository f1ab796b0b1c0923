"""FHIR NDJSON (Bulk Data export: one resource per line) -> ParseResult chunks, streamed.

`iter_ndjson` yields a ParseResult every `chunk_size` lines (the first few chunks smaller, see
`chunk_sizes`) so the import pipeline can merge one chunk while the next is parsed. Blank lines are
skipped; a line that is not JSON is a "malformed" Problem; a resource that fails a check is one Problem
with "line N" and the field path; nothing stops the stream. Resource types we do not import are counted,
not reported line by line: the last chunk carries one "unsupported" Problem per type with its count and
the line of the first one.

Several files of one export (Patient.ndjson, DiagnosticReport.ndjson, Observation.ndjson) can share one
`References`: read Patients and DiagnosticReports first and the Observations resolve "Patient/<id>" to
the patient's identifiers and carry their report's id.
"""

import datetime
import hashlib
import io
import re
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from typing import Any

import orjson
from xxhash import xxh3_64_intdigest

from careloop.observations.importing.parsed import HeldLines, ParseResult, Problem, because
from careloop.observations.sources.fhir.dates import SHANGHAI
from careloop.observations.sources.fhir.keys import SOURCE_ID_LENGTH, SOURCE_SYSTEM_LENGTH
from careloop.observations.sources.fhir.mapper import ResourceMapper
from careloop.observations.sources.fhir.references import References

CHUNK_SIZE = 10_000
# The first chunks' sizes before `chunk_size` (each capped by it): the database merges nothing until the
# pipeline has a chunk ready, and on a re-import not before two chunks were parsed (HeldLines), so small
# first chunks get it going sooner.
FIRST_CHUNKS = (1_250, 2_500, 5_000)


def chunk_sizes(chunk_size: int, first: Iterable[int] = FIRST_CHUNKS) -> Iterator[int]:
    """The number of lines of each chunk in turn: `first`, capped by `chunk_size`, then `chunk_size`."""
    for size in first:
        yield max(1, min(size, chunk_size))
    while True:
        yield chunk_size


def _lines_in_memory(data: bytes | bytearray) -> Iterator[bytes]:
    """The lines `data.splitlines()` gives (without their ends; LF, CRLF or CR), read one at a time, so
    that a line's memory is reused by the next instead of a list of every line doubling the import's."""
    if data.find(b"\r") >= 0:
        for line in io.BytesIO(data):
            yield from line.splitlines()
        return
    for line in io.BytesIO(data):
        yield line[:-1] if line[-1] == _LF else line


_LF = ord("\n")


def iter_ndjson(
    source: bytes | Iterable[bytes],
    source_system: str,
    *,
    default_tz: datetime.tzinfo = SHANGHAI,
    chunk_size: int = CHUNK_SIZE,
    references: References | None = None,
    source_kind: str = "hospital_system",
    unchanged_context: bytes | None = None,
    hold: bool = True,
    hash_key: bytes = b"",
) -> Iterator[ParseResult]:
    """Stream NDJSON (bytes, or a binary file / any iterable of lines) as ParseResult chunks.

    With `unchanged_context` (what else decides how a line is read, e.g. the indicator catalogue's
    fingerprint) each result carries its line's digest, and chunks may come with `held` lines for the
    pipeline to look for among the stored ones (see HeldLines): it must call `held.read` first. `hold`
    False says that none are stored yet (a source's first import): then only every RECHECK-th chunk is
    held, as after a chunk that found none stored, not the first ones.

    `hash_key`, the organization's index key, keys every id derived from an identifier (fhir/keys.py) and
    the line digests: a line may hold a resident ID number, and a digest of it that anyone could compute
    would let them test guesses of that number.
    """
    mapper = ResourceMapper(source_system, default_tz, source_kind, references, hash_key)
    lines = _lines_in_memory(source) if isinstance(source, bytes | bytearray) else source
    loads, decode_error, read = orjson.loads, orjson.JSONDecodeError, _read_line
    seed = (
        None
        if unchanged_context is None
        else digest_seed(hash_key, source_system, source_kind, default_tz, unchanged_context)
    )
    holding = _Holding()
    if not hold:
        holding.found(0)
    out = ParseResult()
    held: list[_Held] | None = [] if seed is not None and holding.next_chunk() else None
    stored_key, context_free = mapper.keys.stored_key, mapper.context_free
    pending = digest = 0
    sizes = chunk_sizes(chunk_size)
    size = next(sizes)
    for number, line in enumerate(lines, 1):
        if not line or line.isspace():
            continue
        if seed is not None:
            digest = xxh3_64_intdigest(line, seed) - _SIGNED
        if held is None:
            # A result keeps its line's digest only where the line means the same alone.
            where = f"line {number}"
            read(mapper, line, where, out, digest if seed is not None and context_free() else None)
        elif line.startswith(_OBSERVATION):
            # Not parsed: if it is stored as it is, it never will be. Held as bytes, not as the parsed dict:
            # the garbage collector walks every dict held, again at each collection, and bytes not at all.
            held.append((line, number, digest, _key_in(line, source_system)))
        else:
            where = f"line {number}"
            try:
                resource = loads(line)
            except decode_error as error:
                out.problems.append(_malformed(where, error))
            else:
                if type(resource) is dict and resource.get("resourceType") == "Observation":
                    held.append((line, number, digest, stored_key(resource)))
                else:
                    _add(mapper, resource, where, out, digest if context_free() else None)
        pending += 1
        if pending >= size:
            if held:
                out.held = _held_lines(mapper, out, held, holding)
            yield out
            out, pending, size = ParseResult(), 0, next(sizes)
            held = [] if seed is not None and holding.next_chunk() else None
    out.problems.extend(mapper.unsupported_problems())
    if held:
        out.held = _held_lines(mapper, out, held, holding)
    if pending or out.problems:
        yield out


# Most Observation lines of a bulk export start so: such a line is held unparsed.
_OBSERVATION = b'{"resourceType":"Observation"'
# A line that starts so but names another type (a Patient, a report) is not tried as an Observation.
_OTHER_TYPE = (
    b'{"resourceType":"Patient"',
    b'{"resourceType":"DiagnosticReport"',
    b'{"resourceType":"Encounter"',
)
# The first "id" and "source" after it: most likely the resource's own and its meta.source. A wrong
# guess costs nothing but time, because a line is skipped only if its digest is the stored one's.
_ID = re.compile(rb'"id":"([^"\\]{1,%d})"' % SOURCE_ID_LENGTH)
_SOURCE = re.compile(rb'"source":"([^"\\]*)"')
# Both where a bulk export writes them, the id straight after the type and the meta.source in the meta
# next, maybe after other text fields of the meta (versionId, lastUpdated): one match instead of two
# searches. (What it finds is what the two would, their first matches: no quote falls inside a value.)
_ID_THEN_SOURCE = re.compile(
    rb',"id":"([^"\\]{1,%d})","meta":\{(?:"[A-Za-z]+":"[^"\\]*",)*?"source":"([^"\\]*)"' % SOURCE_ID_LENGTH
)


def _key_in(line: bytes, default_system: str) -> tuple[str, str] | None:
    """The (source system, source id) an unparsed Observation line is most likely stored under."""
    start = len(_OBSERVATION)
    both = _ID_THEN_SOURCE.match(line, start)
    if both is not None:
        source_id, source = both.group(1, 2)
    else:
        found = _ID.search(line, start)
        if found is None:
            return None
        source_id = found[1]
        match = _SOURCE.search(line, start)
        source = match[1] if match else b""
    system = _source_systems.get(source)
    try:
        if system is None:
            system = _remember_system(source)
        key = system or default_system, source_id.decode()
    except UnicodeDecodeError:
        return None
    return key if len(key[0]) <= SOURCE_SYSTEM_LENGTH else None


def _remember_system(source: bytes) -> str:
    """The system part of a meta.source ("" if it only names a request), kept for the next line."""
    if len(_source_systems) >= 1024:
        _source_systems.clear()
    system = _source_systems[source] = source.split(b"#", 1)[0].decode()
    return system


# A feed's lines name a few sources, each thousands of times.
_source_systems: dict[bytes, str] = {}


def _malformed(where: str, error: orjson.JSONDecodeError) -> Problem:
    # The line itself is not echoed: it may hold an ID number; the position is enough to find it.
    return Problem(where, "", "", because("is not JSON: %(error)s", error=error), "malformed")


def _read_line(mapper: ResourceMapper, line: bytes, where: str, out: ParseResult, digest: int | None) -> None:
    """A line into the chunk: the common Observation straight to a row, anything else (or unusual) parsed
    as a whole and read by the full mapper."""
    row = None if line.startswith(_OTHER_TYPE) else mapper.observations.common_line(line, where, digest)
    if row is None:
        try:
            resource = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            out.problems.append(_malformed(where, error))
        else:
            _add(mapper, resource, where, out, digest)
    else:
        out.results.append(row)


def _add(mapper: ResourceMapper, resource: Any, where: str, out: ParseResult, digest: int | None) -> None:
    """The full mapper's answer for a line; a line that made exactly one result and no problem gives it
    its digest, as the fast reading does (observation.py)."""
    results, problems = len(out.results), len(out.problems)
    mapper.add(resource, where, out)
    if digest is not None and len(out.problems) == problems and len(out.results) == results + 1:
        out.results[-1] = out.results[-1]._replace(digest=digest)


# xxh3 answers an unsigned 64-bit number; the database column is a signed one.
_SIGNED = 1 << 63


def digest_seed(
    hash_key: bytes, source_system: str, source_kind: str, default_tz: datetime.tzinfo, context: bytes
) -> int:
    """The seed of every line's digest: what besides its bytes decides what a line becomes, under a BLAKE2b
    keyed with the index key, so that without the key nobody can work out a line's digest (and test a
    guess of the ID number in it against the stored one). xxh3 stays the per-line hash because hashing is
    most of a re-import's work per line, and a keyed BLAKE2b of every line costs many times as much."""
    material = b"\x00".join((source_system.encode(), source_kind.encode(), str(default_tz).encode(), context))
    return int.from_bytes(hashlib.blake2b(material, digest_size=8, key=hash_key).digest(), "big")


class _Holding:
    """Whether to hold a chunk's Observations until the pipeline has looked them up (HeldLines).

    Worth it while lines turn out to be stored already (a re-import); in a file of new results the
    look-up finds nothing, so after such a chunk only every RECHECK-th chunk is held, to notice if the
    file turns to results imported before.
    """

    RECHECK = 16

    def __init__(self) -> None:
        self.wait = 0

    def next_chunk(self) -> bool:
        if self.wait:
            self.wait -= 1
            return False
        return True

    def found(self, stored: int) -> None:
        self.wait = 0 if stored else self.RECHECK - 1


# A held line: its bytes, its number, its digest, and the key it is most likely stored under. (The number,
# not "line N": most held lines are never read, so their location text is made only for those that are.)
_Held = tuple[bytes, int, int, tuple[str, str] | None]


def _held_lines(
    mapper: ResourceMapper, out: ParseResult, held: list[_Held], holding: _Holding
) -> HeldLines | None:
    """The chunk's held Observations, for the pipeline to look up; None once they are read here.

    Only where lines mean the same alone, now that the chunk's other resources have been read: an import
    that carries Patients or DiagnosticReports reads all its lines, now, and keeps no digests. The lines
    held may be read after the next chunk is parsed, as they would have been read now (`mapper.alone`).
    """
    if not mapper.context_free():
        for line, number, _digest, _key in held:
            _read_line(mapper, line, f"line {number}", out, None)
        holding.found(0)
        return None
    keys = [(key[0], key[1], digest) if key else ("", "", digest) for _line, _number, digest, key in held]

    def read(skip: set[int]) -> None:
        skipped = 0
        with nullcontext() if mapper.context_free() else mapper.alone():
            for position, (line, number, digest, _key) in enumerate(held):
                if position in skip and keys[position][1]:
                    skipped += 1
                    continue
                _read_line(mapper, line, f"line {number}", out, digest)
        out.skipped += skipped
        out.held = None
        holding.found(skipped)

    return HeldLines(keys, read)


def parse_ndjson(source: bytes | Iterable[bytes], source_system: str, **options: Any) -> ParseResult:
    """The whole file as one ParseResult (small files, tests)."""
    whole = ParseResult()
    for chunk in iter_ndjson(source, source_system, **options):
        whole.results += chunk.results
        whole.reports += chunk.reports
        whole.encounters += chunk.encounters
        whole.people += chunk.people
        whole.problems += chunk.problems
    return whole


# LOINC code, unit, and the spread of the synthetic feed's values: lowest, step, how many steps. (For
# benchmarks and tests; not clinical data.) A lab reports to a fixed number of decimals, so a real feed
# repeats values; these repeat as often (tens of values per code), and some fall outside the normal range.
_SYNTHETIC = (
    ("8480-6", "mm[Hg]", 96, 1, 90),
    ("8462-4", "mm[Hg]", 58, 1, 50),
    ("1558-6", "mmol/L", 3.2, 0.1, 110),
    ("2093-3", "mmol/L", 2.8, 0.1, 50),
    ("4548-4", "%", 4.2, 0.1, 70),
)


def _synthetic_value(index: int, lowest: float, step: float, steps: int) -> bytes:
    value = lowest + step * (index * 7919 % steps)  # a prime stride: neighbours get unlike values
    return b"%d" % value if type(step) is int else b"%.1f" % value


def synthetic_observations(count: int, patients: int = 1000) -> bytes:
    """`count` Observation lines of the shape a Bulk Data export sends, for measuring the parser.

    Each run of 5 lines is one specimen: one patient, one time. No two specimens share a time, and the
    patients take turns, so a feed longer than 5 x `patients` lines meets each patient again.
    """
    lines = []
    start = datetime.datetime(2020, 1, 1, 8, 0, tzinfo=SHANGHAI)
    for index in range(count):
        code, unit, *spread = _SYNTHETIC[index % len(_SYNTHETIC)]
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
                _synthetic_value(index // len(_SYNTHETIC), *spread),
                unit.encode(),
                unit.encode(),
            )
        )
    return b"\n".join(lines) + b"\n"
