"""Re-importing NDJSON: a line stored exactly as it is sent again is skipped whole (records.HeldLines)."""

from contextlib import contextmanager
from typing import Any

import orjson
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from careloop.observations.importing import pipeline
from careloop.observations.importing.rows import ObservationRow
from careloop.observations.importing.store import merge_observations, open_store
from careloop.observations.models import ImportBatch, Observation, ObservationVersion, PatientIdentifier
from careloop.observations.sources import formats
from careloop.observations.sources.fhir import iter_ndjson
from careloop.observations.sources.fhir.ndjson import _Holding, _key_in
from tests.factories import make_patient
from tests.observations.helpers import merge_row as merge_tuple

MRN_SYSTEM = "http://his.example.cn/mrn"
CONTEXT = b"catalogue"


def merge_row(patient_id: int, source_id: str, value: float, **changes: Any) -> ObservationRow:
    return ObservationRow(*merge_tuple(patient_id, source_id, value, **changes))


def line(number: int, value: float = 4.9, **extra: Any) -> bytes:
    return orjson.dumps(
        {
            "resourceType": "Observation",
            "id": f"o{number}",
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "2093-3"}]},
            "subject": {"identifier": {"system": MRN_SYSTEM, "value": "M-1"}},
            "effectiveDateTime": f"2025-03-{number:02d}T08:30:00+08:00",
            "valueQuantity": {"value": value, "unit": "mmol/L", "code": "mmol/L"},
            **extra,
        }
    )


def chunks(lines: list[bytes], chunk_size: int = 3, context: bytes | None = CONTEXT):
    return iter_ndjson(b"\n".join(lines), "HIS", chunk_size=chunk_size, unchanged_context=context)


# -- the parser --------------------------------------------------------------------------------------------


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


# -- the pipeline ------------------------------------------------------------------------------------------


@pytest.fixture
def merged(monkeypatch):
    """The number of rows each merge was given."""
    sizes: list[int] = []
    opening = open_store

    @contextmanager
    def counting(*args, **kwargs):
        with opening(*args, **kwargs) as store:
            start = store.start_merge

            def start_counting(organization_id, batch_id, rows, now):
                sizes.append(len(rows))
                return start(organization_id, batch_id, rows, now)

            monkeypatch.setattr(store, "start_merge", start_counting)
            yield store

    monkeypatch.setattr("careloop.observations.importing.pipeline.open_store", counting)
    return sizes


def run(org, lines: list[bytes], chunk_size: int = 3) -> ImportBatch:
    batch = ImportBatch.objects.create(organization=org, kind="fhir", filename="feed.ndjson")
    batch, problems = pipeline.run_import(batch, chunks(lines, chunk_size))
    assert problems == []
    return batch


def counts(batch: ImportBatch) -> tuple[int, int, int, int]:
    return batch.received, batch.created, batch.updated, batch.unchanged


@pytest.fixture
def patient(doctor):
    patient = make_patient(doctor)
    PatientIdentifier.objects.create(
        organization=patient.organization, patient=patient, system=MRN_SYSTEM, value="M-1"
    )
    return patient


@pytest.mark.django_db
def test_a_re_import_skips_every_line_stored_as_it_is_and_merges_nothing(org, patient, merged):
    lines = [line(n) for n in range(1, 8)]
    assert counts(run(org, lines)) == (7, 7, 0, 0)
    assert sum(merged) == 7
    merged.clear()

    assert counts(run(org, lines)) == (7, 0, 0, 7)
    assert sum(merged) == 0


@pytest.mark.django_db
def test_a_corrected_line_is_read_and_versioned_and_its_digest_kept_for_the_next_time(org, patient, merged):
    lines = [line(n) for n in range(1, 5)]
    run(org, lines)
    merged.clear()

    lines[2] = line(3, value=6.2)
    assert counts(run(org, lines)) == (4, 0, 1, 3)
    assert sum(merged) == 1
    assert Observation.objects.get(source_id="o3").value == 6.2
    assert ObservationVersion.objects.get().value == 4.9
    merged.clear()

    assert counts(run(org, lines)) == (4, 0, 0, 4)
    assert sum(merged) == 0


@pytest.mark.django_db
def test_a_line_spelt_differently_with_the_same_content_is_unchanged_and_takes_the_new_digest(
    org, patient, merged
):
    run(org, [line(1), line(2)])
    respelt = orjson.dumps(orjson.loads(line(2)), option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)
    respelt = respelt.replace(b"\n", b"")
    assert counts(run(org, [line(1), respelt])) == (2, 0, 0, 2)
    assert not ObservationVersion.objects.exists()
    merged.clear()

    assert counts(run(org, [line(1), respelt])) == (2, 0, 0, 2)
    assert sum(merged) == 0


@pytest.mark.django_db
def test_a_row_stored_without_a_digest_is_read_once_and_then_skipped(org, patient, merged):
    run(org, [line(1), line(2)])
    Observation.objects.update(source_digest=None)  # as rows imported before digests were kept
    merged.clear()

    assert counts(run(org, [line(1), line(2)])) == (2, 0, 0, 2)
    assert sum(merged) == 2
    assert not Observation.objects.filter(source_digest__isnull=True).exists()
    merged.clear()

    run(org, [line(1), line(2)])
    assert sum(merged) == 0


@pytest.mark.django_db
def test_the_last_line_of_a_key_wins_even_when_an_earlier_one_is_stored_as_it_is(org, patient):
    run(org, [line(1)])

    # In one chunk: the stored line, then a correction of it.
    run(org, [line(1), line(1, value=7.0)], chunk_size=5)
    assert Observation.objects.get().value == 7.0

    # The correction, then the stored line again in the next chunk, while the correction is being merged.
    run(org, [line(1)])
    run(org, [line(1, value=7.5), line(1)], chunk_size=1)
    assert Observation.objects.get().value == 4.9

    # With chunks between: the stored line is looked up while the correction is merged, or before.
    for between in ([line(2)], [line(2), line(3)]):
        run(org, [line(1, value=7.5), *between, line(1)], chunk_size=1)
        assert Observation.objects.get(source_id="o1").value == 4.9


@pytest.mark.django_db
def test_results_from_other_formats_keep_no_digest_and_are_always_compared(org, patient):
    merge_observations(org.pk, None, [merge_row(patient.pk, "r1", 5.0)])
    assert Observation.objects.get().source_digest is None


@pytest.mark.django_db
def test_a_line_keyed_wrongly_before_parsing_is_read_again_and_found_unchanged(org, patient, merged):
    contained = line(3).replace(
        b'"id":"o3",', b'"contained":[{"resourceType":"Device","id":"d1"}],"id":"o3",'
    )
    lines = [line(1), contained]
    assert counts(run(org, lines)) == (2, 2, 0, 0)
    merged.clear()
    assert counts(run(org, lines)) == (2, 0, 0, 2)
    assert sum(merged) == 1


def test_held_lines_that_are_broken_or_unusual_are_read_as_any_line_would_be():
    truncated = b'{"resourceType":"Observation","id":"o9","status":'
    no_id = line(4).replace(b'"id":"o4",', b"")
    not_utf8 = line(5).replace(b'"id":"o5"', b'"id":"o\xff5"')
    long_source = line(6, meta={"source": "http://" + "x" * 80})
    below = line(7, valueQuantity={"value": 0.5, "comparator": "<", "unit": "mmol/L", "code": "mmol/L"})
    (chunk,) = chunks([truncated, no_id, not_utf8, long_source, below], chunk_size=10, context=CONTEXT)
    assert chunk.held is not None
    assert [key[1] for key in chunk.held.keys] == ["o9", "", "", "", "o7"]
    chunk.held.read({4})  # skipped only if stored: here the pipeline says it is
    assert [problem.code for problem in chunk.problems] == ["malformed", "missing", "malformed"]
    assert chunk.skipped == 1


def test_records_read_whole_keep_the_lines_digest():
    below = line(7, valueQuantity={"value": 0.5, "comparator": "<", "unit": "mmol/L", "code": "mmol/L"})
    parsed = iter_ndjson(b"\n".join([line(1), below]), "HIS", unchanged_context=CONTEXT, chunk_size=1)
    first = next(parsed)
    assert first.held is not None  # the first chunk is held...
    first.held.read(set())
    then = next(parsed)
    assert then.held is None  # ...and as nothing was stored, the next is read at once
    assert type(first.results[0].digest) is int and type(then.results[0].digest) is int


@pytest.mark.django_db
def test_an_ndjson_file_imported_twice_through_the_files_reader_is_skipped_the_second_time(org, patient):
    data = b"\n".join(line(n) for n in range(1, 4))

    def import_file() -> ImportBatch:
        batch = ImportBatch.objects.create(organization=org, kind="fhir", filename="results.ndjson")
        return pipeline.run_import(batch, formats.read_chunks(data, "results.ndjson", "HIS", {}))[0]

    assert counts(import_file()) == (3, 3, 0, 0)
    assert counts(import_file()) == (3, 0, 0, 3)
    assert Observation.objects.filter(source_digest__isnull=False).count() == 3


@pytest.mark.parametrize("stored_before", [False, True])
def test_the_files_reader_holds_lines_only_where_the_source_has_results_stored(org, patient, stored_before):
    if stored_before:
        merge_observations(org.pk, None, [merge_row(patient.pk, "elsewhere", 5.0, source_system="HIS")])
    data = b"\n".join(line(n) for n in range(1, 4))
    first = next(formats.read_chunks(data, "results.ndjson", "HIS", {}, organization_id=org.pk))
    assert (first.held is not None) is stored_before
    assert (len(first.results) == 3) is not stored_before  # not held: read at once, with their digests


@pytest.mark.django_db
def test_the_import_command_skips_an_ndjson_file_the_second_time_and_lists_what_it_refused(
    org, patient, tmp_path, capsys
):
    path = tmp_path / "results.ndjson"
    path.write_bytes(b"\n".join([line(n) for n in range(1, 4)] + [b"{broken"] * 22))
    with translation.override("en"):
        call_command("import", str(path), organization=org.code, source_system="HIS", no_progress=True)
        out = capsys.readouterr().out
        assert "25 read, 3 new, 0 corrected, 0 already there, 22 refused" in out
        assert out.count("is not JSON") == 20 and "... and 2 more" in out

        call_command("import", str(path), organization=org.code, source_system="HIS", no_progress=True)
        assert "0 new, 0 corrected, 3 already there, 22 refused" in capsys.readouterr().out

        with pytest.raises(CommandError, match="nothing was imported"):
            call_command("import", str(path), organization=org.code, mode="all_or_nothing", no_progress=True)
        with pytest.raises(CommandError, match="not a supported file type"):
            (tmp_path / "results.pdf").write_bytes(b"%PDF")
            call_command("import", str(tmp_path / "results.pdf"), organization=org.code)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("keys", "found"),
    [
        # one source system: its system sent once, positions from the order of the keys
        ([("LIS-A", "a1", 11), ("LIS-A", "a2", 99), ("LIS-A", "nowhere", 12), ("LIS-A", "a3", 13)], {0, 3}),
        # two systems, and a line whose key could not be read: every key with its position
        ([("LIS-B", "b1", 21), ("LIS-A", "a2", 12), ("", "", 11), ("LIS-A", "a1", 11)], {0, 1, 3}),
        ([("", "", 11)], set()),
        ([], set()),
    ],
)
def test_the_lookup_of_held_lines_answers_positions_stored_with_the_same_digest(org, patient, keys, found):
    stored = [("LIS-A", "a1", 11), ("LIS-A", "a2", 12), ("LIS-A", "a3", 13), ("LIS-B", "b1", 21)]
    rows = [
        merge_row(patient.pk, source_id, 5.0, source_system=system, source_digest=digest)
        for system, source_id, digest in stored
    ]
    merge_observations(org.pk, None, rows)
    with open_store() as store:
        assert store.stored_as_sent(org.pk, keys) == found


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
