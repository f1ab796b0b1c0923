"""Re-importing NDJSON: a line stored exactly as it is sent again is skipped whole (records.HeldLines)."""

from contextlib import contextmanager
from typing import Any

import orjson
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from careloop.observations.importing import pipeline
from careloop.observations.importing.chunk import lines_to_skip
from careloop.observations.importing.rows import ObservationRow
from careloop.observations.importing.store import merge_observations, open_store
from careloop.observations.models import ImportBatch, Observation, ObservationVersion, PatientIdentifier
from careloop.observations.sources import formats
from careloop.observations.sources.fhir import iter_ndjson
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
    last_line_wins(org)


# Not in a transaction, as `careloop import` runs: merges and look-ups on the store's second connection.
@pytest.mark.django_db(transaction=True)
def test_the_last_line_of_a_key_wins_when_merges_and_look_ups_run_beside_the_import(org, doctor):
    patient = make_patient(doctor)
    PatientIdentifier.objects.create(organization=org, patient=patient, system=MRN_SYSTEM, value="M-1")
    last_line_wins(org)


def last_line_wins(org) -> None:
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
        assert store.look_up_held(org.pk, keys).positions() == found


A, B, C = ("HIS", "a"), ("HIS", "b"), ("LIS", "a")


@pytest.mark.parametrize(
    ("keys", "stored", "skipped"),
    [
        ([A, B, C], {0, 1, 2}, {0, 1, 2}),
        ([A, B, C], set(), set()),
        ([A, B, C], {0, 2}, {0, 2}),
        ([A, B, A], {0, 1}, {1}),  # A twice: its last line must win, so both are read
        ([A, B, A], {0, 1, 2}, {1}),
    ],
)
def test_held_lines_skipped_are_those_stored_as_sent_but_a_key_held_twice(keys, stored, skipped):
    assert lines_to_skip(keys, stored) == skipped
