import datetime
import gc
import io
import itertools
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from careloop.observations.importing.normalize import normalize_result
from careloop.observations.importing.parsed import ResultRecord
from careloop.observations.sources.fhir import References, iter_ndjson, parse_ndjson
from careloop.observations.sources.fhir.ndjson import chunk_sizes, synthetic_observations

SAMPLES = Path(__file__).parent / "samples"
RESIDENT_ID = "110105198003070020"


def line(resource: dict[str, Any]) -> bytes:
    return orjson.dumps(resource)


def observation(number: int, patient: str = "p1", **changes) -> dict[str, Any]:
    resource = {
        "resourceType": "Observation",
        "id": f"o{number}",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "2093-3"}]},
        "subject": {"reference": f"Patient/{patient}"},
        "effectiveDateTime": "2025-03-05T08:30:00+08:00",
        "valueQuantity": {"value": 4.9, "unit": "mmol/L", "code": "mmol/L"},
    }
    resource.update(changes)
    return resource


def test_broken_lines_become_problems_with_line_and_field_and_the_rest_is_kept():
    out = parse_ndjson((SAMPLES / "fhir_observations_broken.ndjson").read_bytes(), "HIS-A")
    assert len(out.results) == 17
    assert [(p.location, p.field, p.code) for p in out.problems] == [
        ("line 5", "", "malformed"),
        ("line 11", "valueQuantity.value", "missing"),
        ("line 16", "effectiveDateTime", "invalid"),
    ]
    assert out.problems[2].value == "2025-13-40T09:00:00+08:00"
    assert "line 5" not in {r.location for r in out.results}
    # meta.source "http://his.example.cn/fhir#req-77": the request id after '#' is not part of the key.
    assert {r.source_system for r in out.results} == {"http://his.example.cn/fhir"}


def test_parsing_leaves_no_reference_cycles_behind():
    # An import raises the garbage collector's threshold (gcpacing): what it leaves in cycles would stay.
    broken = (SAMPLES / "fhir_observations_broken.ndjson").read_bytes()
    patient = line({"resourceType": "Patient", "id": "p1"})
    gc.collect()
    gc.disable()
    try:
        for data in (broken, synthetic_observations(50), patient + b"\n" + line(observation(1))):
            assert list(iter_ndjson(data, "HIS-A", chunk_size=10))
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_a_value_keeps_the_text_json_gives_it_however_often_it_comes():
    # Floats' texts are remembered per value: one that equals another (96 and 96.0, 0.0 and -0.0) still
    # prints as itself.
    values = [5.3, 96, 96.0, 5.3, 0.0, -0.0, 0.0, -0.0, 1e-07, 96.0, 96]
    texts = ["5.3", "96", "96.0", "5.3", "0.0", "-0.0", "0.0", "-0.0", "1e-07", "96.0", "96"]
    lines = [
        line(observation(number, valueQuantity={"value": value, "unit": "mmol/L"}))
        for number, value in enumerate(values)
    ]
    (chunk,) = iter_ndjson(b"\n".join(lines), "HIS-A")
    assert [row.value for row in chunk.results] == texts


def test_results_come_in_chunks_of_the_requested_size():
    data = b"\n".join(line(observation(n)) for n in range(25))
    chunks = list(iter_ndjson(data, "HIS-A", chunk_size=10))
    assert [len(chunk.results) for chunk in chunks] == [10, 10, 5]


@pytest.mark.parametrize(
    ("chunk_size", "first", "sizes"),
    [
        (10_000, (1_250, 2_500, 5_000), [1_250, 2_500, 5_000, 10_000, 10_000]),
        (2_000, (1_250, 2_500, 5_000), [1_250, 2_000, 2_000, 2_000, 2_000]),
        (3, (1_250, 2_500), [3, 3, 3, 3, 3]),
        (10, (), [10, 10, 10, 10, 10]),
        (10, (0, 4), [1, 4, 10, 10, 10]),
    ],
)
def test_the_first_chunks_are_smaller_and_none_exceeds_the_chunk_size(chunk_size, first, sizes):
    assert list(itertools.islice(chunk_sizes(chunk_size, first), 5)) == sizes


def test_a_large_file_starts_with_small_chunks():
    data = b"\n".join(line(observation(n)) for n in range(10_100))
    chunks = list(iter_ndjson(data, "HIS-A", chunk_size=5_000))
    assert [len(chunk.results) for chunk in chunks] == [1_250, 2_500, 5_000, 1_350]


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b"\r"])
def test_lines_end_in_lf_crlf_or_cr_alike_with_the_same_numbers_and_digests(ending):
    def results(data: bytes) -> list[ResultRecord]:
        read = []
        for chunk in iter_ndjson(data, "HIS-A", unchanged_context=b"catalogue"):
            if chunk.held is not None:
                chunk.held.read(set())
            read += chunk.results
        return read

    lines = [line(observation(1)), b"", line(observation(2)), line(observation(3, patient="p2"))]
    out = results(ending.join(lines) + ending)
    assert [(r.source_id, r.location) for r in out] == [("o1", "line 1"), ("o2", "line 3"), ("o3", "line 4")]
    assert all(r.digest for r in out)
    assert [r.digest for r in out] == [r.digest for r in results(b"\n".join(lines))]


def test_a_file_object_is_streamed_line_by_line():
    data = b"\n".join(line(observation(n)) for n in range(3)) + b"\n"
    out = parse_ndjson(io.BytesIO(data), "HIS-A")
    assert [r.source_id for r in out.results] == ["o0", "o1", "o2"]


def test_blank_lines_are_skipped_and_line_numbers_stay_true():
    data = (
        b"\n\n"
        + line(observation(1))
        + b"\n   \n"
        + line(observation(2, valueQuantity={"unit": "mmol/L"}))
        + b"\n"
    )
    out = parse_ndjson(data, "HIS-A")
    assert [r.location for r in out.results] == ["line 3"]
    assert [p.location for p in out.problems] == ["line 5"]


def test_a_json_line_that_is_not_an_object_is_malformed():
    out = parse_ndjson(b'["Observation"]\n42\n', "HIS-A")
    assert [(p.location, p.code) for p in out.problems] == [("line 1", "malformed"), ("line 2", "malformed")]


def test_unsupported_types_are_one_problem_per_type_with_a_count_at_the_end():
    lines = [line({"resourceType": "Medication", "id": str(n)}) for n in range(4)]
    lines += [line(observation(1))]
    lines += [line({"resourceType": "Condition", "id": "c1"})]
    chunks = list(iter_ndjson(b"\n".join(lines), "HIS-A", chunk_size=2))
    problems = [p for chunk in chunks for p in chunk.problems]
    assert chunks[-1].problems == problems  # reported once, with the last chunk
    assert [(p.value, p.location, p.code) for p in problems] == [
        ("Medication", "line 1", "unsupported"),
        ("Condition", "line 6", "unsupported"),
    ]
    assert problems[0].reason.startswith("4 Medication")


def test_patients_read_first_resolve_later_observations_even_across_files():
    references = References()
    patients = line(
        {
            "resourceType": "Patient",
            "id": "p1",
            "identifier": [{"system": "urn:oid:2.16.156.10011.1.3", "value": RESIDENT_ID}],
        }
    )
    first = parse_ndjson(patients, "HIS-A", references=references)
    assert first.people[0].patient.id_number == RESIDENT_ID
    out = parse_ndjson(
        line(observation(1)) + b"\n" + line(observation(2, patient="p2")), "HIS-A", references=references
    )
    assert out.results[0].patient.id_number == RESIDENT_ID
    # A patient not seen: its FHIR id becomes the MRN in the source system, as the Patient would have it.
    assert (out.results[1].patient.mrn, out.results[1].patient.mrn_system) == ("p2", "HIS-A")
    assert first.people[0].patient.mrn == "p1"


def test_a_patient_arriving_later_in_the_stream_wins_for_the_lines_after_it():
    data = b"\n".join(
        [
            line(observation(1)),
            line({"resourceType": "Patient", "id": "p1", "identifier": [{"value": RESIDENT_ID}]}),
            line(observation(2)),
        ]
    )
    out = parse_ndjson(data, "HIS-A")
    assert [r.patient.id_number for r in out.results] == ["", RESIDENT_ID]
    assert out.results[0].patient.mrn == out.results[1].patient.mrn == "p1"  # both still meet on the MRN


def test_synthetic_feed_parses_and_normalizes_without_problems_and_its_values_vary():
    out = parse_ndjson(synthetic_observations(500), "HIS-A")
    assert (len(out.results), out.problems) == (500, [])
    normalized = [normalize_result(result, "female", datetime.date(1960, 1, 1)) for result in out.results]
    rows = [row for row in normalized if isinstance(row, tuple)]
    assert len(rows) == len(normalized)
    for code in {result.code for result in out.results}:
        values = {result.value for result in out.results if result.code == code}
        assert len(values) >= 40, code
    assert {row[6] for row in rows} >= {"normal", "high"}


def test_a_synthetic_specimen_is_one_patients_at_one_time():
    results = parse_ndjson(synthetic_observations(20, patients=3), "HIS-A").results
    specimens = [results[start : start + 5] for start in range(0, 20, 5)]
    assert [{(r.patient.mrn, r.effective_at) for r in s} for s in specimens] == [
        {("p0", specimens[0][0].effective_at)},
        {("p1", specimens[1][0].effective_at)},
        {("p2", specimens[2][0].effective_at)},
        {("p0", specimens[3][0].effective_at)},
    ]
    assert len({s[0].effective_at for s in specimens}) == 4


def test_parser_speed(capsys):
    """Parse + field extraction of 200 000 Observation lines; prints lines/s (CPU time: the box is shared).

    The floor asserted here only catches a collapse; the figure to compare with the 150 000 lines/s target
    is printed (pytest -s) and given in the hand-over report.
    """
    count = 200_000
    data = synthetic_observations(count)
    best = 0.0
    for _ in range(2):
        started = time.process_time()
        parsed = sum(len(chunk.results) for chunk in iter_ndjson(data, "HIS-A"))
        best = max(best, parsed / (time.process_time() - started))
    assert parsed == count
    with capsys.disabled():
        print(f"\nFHIR NDJSON parse, {count} lines: {round(best)} lines/s")
    assert best > 40_000
