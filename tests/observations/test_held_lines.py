"""Held lines (parsed.HeldLines): how the NDJSON reader holds a re-import's lines, keyed and digested,
until the pipeline has looked them up among the stored observations (test_reimport_skip.py)."""

from typing import Any

import orjson
import pytest

from careloop.observations.sources.fhir import iter_ndjson
from careloop.observations.sources.fhir.ndjson import _Holding, _key_in
from tests.observations.test_reimport_skip import CONTEXT, chunks, line


def test_each_result_carries_its_lines_digest_which_depends_on_the_line_and_the_context():
    def digests(lines: list[bytes], context: bytes | None = CONTEXT) -> list[Any]:
        found = []
        for chunk in chunks(lines, context=context):
            if chunk.held:
                chunk.held.read(set())
            found += [row[-1] for row in chunk.results]
        return found

    first = digests([line(1), line(2)])
    assert all(type(digest) is int and -(2**63) <= digest < 2**63 for digest in first)
    assert digests([line(1), line(2)]) == first
    assert digests([line(1, value=5.0), line(2)])[1:] == first[1:]
    assert digests([line(1, value=5.0)])[0] != first[0]
    assert digests([line(1)], context=b"another catalogue") != first[:1]
    assert digests([line(1)], context=None) == [None]


def test_held_lines_are_read_in_order_but_for_the_positions_skipped():
    (chunk,) = chunks([line(1), line(2), line(3)])
    assert chunk.results == [] and chunk.held is not None
    assert [key[:2] for key in chunk.held.keys] == [("HIS", "o1"), ("HIS", "o2"), ("HIS", "o3")]
    chunk.held.read({1})
    assert [row[6] for row in chunk.results] == ["o1", "o3"]
    assert (chunk.skipped, chunk.held) == (1, None)


def test_without_a_context_nothing_is_held():
    assert all(chunk.held is None for chunk in chunks([line(1), line(2)], context=None))


def test_an_import_that_carries_patients_reads_every_line_and_keeps_no_digest():
    patient = orjson.dumps({"resourceType": "Patient", "id": "p1", "identifier": [{"value": "M-1"}]})
    (chunk,) = chunks([line(1), patient, line(2)])
    assert chunk.held is None  # read at once, as the chunk ends
    assert chunk.skipped == 0 and [row[-1] for row in chunk.results] == [None, None]

    later = list(chunks([patient, line(1)], chunk_size=1))
    for each in later:
        if each.held:
            each.held.read(set())
    assert [row[-1] for each in later for row in each.results] == [None]


def test_held_lines_read_after_the_next_chunk_read_as_they_would_have_where_they_stood():
    """The pipeline reads a chunk's held lines after it parsed the next chunk, which may bring a Patient."""
    by_reference = orjson.dumps(
        {
            "resourceType": "Observation",
            "id": "o9",
            "code": {"coding": [{"system": "http://loinc.org", "code": "2093-3"}]},
            "subject": {"reference": "Patient/p1"},
            "effectiveDateTime": "2025-03-09T08:30:00+08:00",
            "valueQuantity": {"value": 4.9, "unit": "mmol/L"},
        }
    )
    patient = orjson.dumps({"resourceType": "Patient", "id": "p1", "identifier": [{"value": "M-1"}]})
    stream = chunks([by_reference, patient, by_reference.replace(b"o9", b"o10")], chunk_size=1)
    first = next(stream)
    second = next(stream)  # the Patient, parsed before the first chunk's held line is read
    third = next(stream)
    assert first.held is not None and second.held is None and third.held is None
    first.held.read(set())
    [(alone, *_rest)] = first.results
    [(after_the_patient, *_rest)] = third.results
    assert (alone.mrn, alone.mrn_system) == ("p1", "HIS")  # "Patient/p1" read alone: MRN p1 of the source
    assert (after_the_patient.mrn, after_the_patient.mrn_system) == ("M-1", "HIS")
    assert first.results[0][-1] is not None and third.results[0][-1] is None


def test_a_line_spelt_otherwise_is_parsed_to_find_its_key():
    spaced = line(1).replace(b'{"resourceType":"Observation"', b'{ "resourceType": "Observation"')
    id_first = line(2).replace(b'"id":"o2",', b"").replace(b"{", b'{"id":"o2",', 1)
    (chunk,) = chunks([spaced, id_first], chunk_size=5)
    assert chunk.held is not None
    assert [key[:2] for key in chunk.held.keys] == [("HIS", "o1"), ("HIS", "o2")]


def test_an_unparsed_line_is_keyed_by_its_first_id_and_source():
    contained = line(3, meta={"source": "http://lis.example.cn#x"}).replace(
        b'"id":"o3",', b'"contained":[{"resourceType":"Device","id":"d1"}],"id":"o3",'
    )
    (chunk,) = chunks([line(1, meta={"source": "http://lis.example.cn#x"}), contained])
    assert chunk.held is not None
    assert [key[:2] for key in chunk.held.keys] == [
        ("http://lis.example.cn", "o1"),
        ("http://lis.example.cn", "d1"),
    ]


def test_after_a_chunk_with_nothing_stored_only_every_recheck_th_chunk_is_held():
    holding = _Holding()
    held = []
    for _ in range(2 * _Holding.RECHECK + 1):
        held.append(holding.next_chunk())
        if held[-1]:
            holding.found(0)  # the pipeline looked the chunk up: nothing stored
    assert [n for n, was in enumerate(held) if was] == [0, _Holding.RECHECK, 2 * _Holding.RECHECK]
    holding.found(5)
    assert holding.next_chunk() and holding.next_chunk()


def test_a_source_with_nothing_stored_holds_only_every_recheck_th_chunk_and_keeps_its_digests():
    lines = [line(n) for n in range(1, 2 * _Holding.RECHECK + 2)]
    data = b"\n".join(lines)
    held, first = [], None
    for number, chunk in enumerate(
        iter_ndjson(data, "HIS", chunk_size=1, unchanged_context=CONTEXT, hold=False)
    ):
        if chunk.held is not None:
            held.append(number)
            chunk.held.read(set())  # as the pipeline would: nothing stored
        first = first or chunk
    assert held == [_Holding.RECHECK - 1, 2 * _Holding.RECHECK - 1]  # the first chunks are read at once
    assert first is not None and type(first.results[0][-1]) is int


def test_a_parked_or_malformed_line_is_not_held_and_unsupported_types_still_count():
    medication = orjson.dumps({"resourceType": "Medication", "id": "m"})
    (chunk,) = chunks([b"{not json", medication, line(1)], chunk_size=10)
    assert [problem.code for problem in chunk.problems] == ["malformed", "unsupported"]
    assert chunk.held is not None and len(chunk.held.keys) == 1


START = b'{"resourceType":"Observation",'


@pytest.mark.parametrize(
    ("rest", "key"),
    [
        (
            b'"id":"o1","meta":{"source":"http://lis.example.cn"},"status":"final"}',
            ("http://lis.example.cn", "o1"),
        ),
        (b'"meta":{"source":"LIS#req-7"},"id":"o2"}', ("LIS", "o2")),  # the request id is not the system's
        (b'"id":"o3","status":"final"}', ("HIS", "o3")),  # no meta.source: the file's system
        (b'"id":"o4","meta":{"source":"#req-7"}}', ("HIS", "o4")),
        (b'"id":"\xe6\xa3\x80\xe9\xaa\x8c-5"}', ("HIS", "检验-5")),
        (b'"id":"' + b"x" * 120 + b'"}', ("HIS", "x" * 120)),
        (b'"id":"' + b"x" * 121 + b'"}', None),  # longer than a source id is kept
        (b'"id":"o\\"6"}', None),  # an escape: the line is read, not guessed at
        (b'"id":"o\\"6","x":{"id":"o9"}}', ("HIS", "o9")),  # then the next "id" is the guess
        (b'"meta":{"source":"L\\"IS"},"x":{"source":"LIS"},"id":"o11"}', ("LIS", "o11")),
        (b'"meta":{"source":"L\\"IS"},"id":"o12"}', ("HIS", "o12")),
        (b'"id":"","status":"final"}', None),
        (b'"id":"o\xff7"}', None),  # not UTF-8
        (b'"id":"o8","meta":{"source":"http://' + b"x" * 60 + b'"}}', None),  # a system too long
        (b'"id":"o10', None),  # cut off
        (b'"status":"final"}', None),
    ],
)
def test_the_key_of_a_held_line_is_found_without_parsing_it_or_not_at_all(rest, key):
    assert _key_in(START + rest, "HIS") == key
