"""Problem rows capped per import, a summary of the rest, a streamed error report, audited reads, and the
values stored and served through the one redaction routine."""

import csv
import io
import time
import tracemalloc
from dataclasses import replace

import pytest
from django.urls import reverse

from careloop.accounts.models import AuditEntry
from careloop.observations.importing.parsed import ParseResult, Problem
from careloop.observations.importing.pipeline import run_import
from careloop.observations.importing.problemcap import ProblemTally
from careloop.observations.models import ImportBatch, ImportProblem
from careloop.observations.tasks import run_import_file
from tests.factories import make_patient
from tests.observations import bombs


def problems(*codes: str) -> list[Problem]:
    return [Problem(f"row {n}", "value", "x", "why", code) for n, code in enumerate(codes, start=2)]


@pytest.mark.parametrize(
    ("cap", "chunks", "kept", "beyond"),
    [
        (3, [("a", "a")], 2, {}),
        (3, [("a", "a"), ("a", "b")], 3, {"b": 1}),
        (3, [("a", "a", "a", "a", "b")], 3, {"a": 1, "b": 1}),
        (3, [("a", "a", "a"), ("b", "b"), ("a",)], 3, {"b": 2, "a": 1}),
        (0, [("a",)], 0, {"a": 1}),
    ],
)
def test_tally_keeps_the_first_problems_and_counts_the_rest_by_kind(cap, chunks, kept, beyond):
    tally = ProblemTally(cap)
    stored = [p for chunk in chunks for p in tally.keep(problems(*chunk))]
    assert len(stored) == kept == tally.kept
    assert dict(tally.beyond) == beyond


def bad_rows_csv(id_number: str, count: int) -> bytes:
    """`count` glucose results of one patient, each at its own minute, each not a number."""
    lines = ["身份证号,姓名,检查项目,结果,单位,检查时间"]
    for n in range(count):
        when = f"2024-01-{1 + n // 1440:02d} {n // 60 % 24:02d}:{n % 60:02d}"
        lines.append(f"{id_number},张三,空腹血糖,abc{n},mmol/L,{when}")
    lines.extend(f"{id_number},张三,空腹血糖,5.{n},furlongs,2025-01-01 08:{n:02d}" for n in range(7))
    return ("\n".join(lines) + "\n").encode()


def csv_import(org, data: bytes, mode: str = "keep_good") -> ImportBatch:
    batch = ImportBatch.objects.create(organization=org, kind="csv", filename="bad.csv", mode=mode)
    from careloop.observations.sources.formats import read_chunks

    batch, _problems = run_import(batch, read_chunks(data, "bad.csv", "HOSP", {}))
    return batch


@pytest.fixture
def cap_of_500(settings):
    settings.IMPORT_LIMITS = replace(settings.IMPORT_LIMITS, stored_problems=500)


@pytest.mark.django_db
@pytest.mark.parametrize("mode", ["keep_good", "all_or_nothing"])
def test_import_stores_problems_up_to_the_cap_and_counts_the_rest_by_kind(doctor, cap_of_500, mode):
    patient = make_patient(doctor)
    batch = csv_import(doctor.organization, bad_rows_csv(patient.id_number, 2_000), mode)
    assert batch.refused == 2_007
    assert ImportProblem.objects.filter(batch=batch).count() == 500
    assert batch.problems_not_stored == {"not_numeric": 1_500, "unknown_unit": 7}
    assert batch.not_stored_count == 1_507
    assert batch.status == ("done" if mode == "keep_good" else "refused")


@pytest.mark.django_db(transaction=True)
def test_three_hundred_thousand_bad_rows_finish_fast_and_write_at_most_the_cap(doctor, settings, tmp_path):
    settings.IMPORT_DIR = tmp_path
    data = bombs.workbook(*bombs.repeated_rows(300_000, bombs.glucose_cells(make_patient(doctor).id_number)))
    batch = ImportBatch.objects.create(organization=doctor.organization, kind="xlsx", filename="bomb.xlsx")
    tmp_path.joinpath(f"{batch.pk}.xlsx").write_bytes(data)
    started = time.perf_counter()
    run_import_file.call(batch.pk, "HOSP", {})
    assert time.perf_counter() - started < 10
    batch.refresh_from_db()
    assert batch.problems.count() <= settings.IMPORT_LIMITS.stored_problems
    assert [p.code for p in batch.problems.all()] == ["too_large"]
    assert batch.created == 0


def stored_problems(org, count: int, not_stored: dict[str, int] | None = None) -> ImportBatch:
    batch = ImportBatch.objects.create(
        organization=org, kind="csv", filename="big.csv", status="done", refused=count
    )
    if not_stored:
        batch.problems_not_stored = not_stored
        batch.refused += sum(not_stored.values())
        batch.save()
    ImportProblem.objects.bulk_create(
        ImportProblem(
            batch=batch,
            location=f"row {n + 2}",
            field="value",
            value=f"abc{n}",
            code="not_numeric",
            reason=f"“abc{n}” is not a number.",
            reason_template="“%(value)s” is not a number.",
            reason_params={"value": f"abc{n}"},
        )
        for n in range(count)
    )
    return batch


def report_lines(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.django_db
def test_import_page_and_error_report_end_with_what_was_not_stored(logged_in, nurse, settings):
    settings.IMPORT_LIMITS = replace(settings.IMPORT_LIMITS, stored_problems=3)
    batch = stored_problems(nurse.organization, 3, {"not_numeric": 2_990_000, "duplicate": 7})
    client = logged_in(nurse)
    page = client.get(reverse("observations:import_detail", args=[batch.pk])).content.decode()
    assert 'id="problems-not-stored"' in page
    summary = "另有 2,990,007 条被拒绝的条目未保存（每次导入只保存前 3 条）"  # noqa: RUF001 (Chinese punctuation)
    assert summary in page  # in the users' language
    lines = report_lines(client.get(reverse("observations:import_errors", args=[batch.pk])))
    assert len(lines) == 1 + 3 + 1
    assert lines[-1][0].startswith(summary)
    assert "2,990,000" in lines[-1][0] and "7" in lines[-1][0]


def consume_report(client, batch: ImportBatch) -> tuple[int, int, int]:
    """(lines, pieces, peak bytes allocated while the report was made and read)."""
    tracemalloc.start()
    try:
        response = client.get(reverse("observations:import_errors", args=[batch.pk]))
        assert response.streaming
        pieces = lines = 0
        for piece in response.streaming_content:
            pieces += 1
            lines += piece.count(b"\r\n")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return lines, pieces, peak


@pytest.mark.django_db
def test_error_report_is_streamed_in_pieces_and_its_memory_does_not_grow_with_its_rows(logged_in, nurse):
    client = logged_in(nurse)
    small = stored_problems(nurse.organization, 2_000)
    large = stored_problems(nurse.organization, 8_000)
    consume_report(client, small)  # the first request also fills caches (URLs, translations, templates)
    small_lines, small_pieces, small_peak = consume_report(client, small)
    large_lines, large_pieces, large_peak = consume_report(client, large)
    assert (small_lines, large_lines) == (2_001, 8_001)
    assert large_pieces > small_pieces > 2
    # Four times the rows: the same few pieces in memory at a time, not four times the report.
    assert large_peak < 1.5 * small_peak, (small_peak, large_peak)


@pytest.mark.django_db
def test_reading_an_import_and_downloading_its_error_report_are_audited(logged_in, nurse):
    batch = stored_problems(nurse.organization, 3)
    client = logged_in(nurse)
    client.get(reverse("observations:import_detail", args=[batch.pk]))
    b"".join(client.get(reverse("observations:import_errors", args=[batch.pk])).streaming_content)
    entries = AuditEntry.objects.filter(actor=nurse, object_id=str(batch.pk)).order_by("id")
    assert [e.action for e in entries] == ["import.view", "import.errors_downloaded"]
    assert entries[0].detail == {"problems_shown": 3, "refused": 3}


@pytest.mark.django_db
def test_polling_a_running_import_is_not_audited_until_it_shows_the_outcome(logged_in, nurse):
    batch = stored_problems(nurse.organization, 1)
    batch.status = "running"
    batch.save()
    client = logged_in(nurse)
    url = reverse("observations:import_detail", args=[batch.pk])
    client.get(url, headers={"HX-Request": "true"})
    assert not AuditEntry.objects.filter(action="import.view").exists()
    ImportBatch.objects.filter(pk=batch.pk).update(status="done")
    client.get(url, headers={"HX-Request": "true"})
    assert AuditEntry.objects.filter(action="import.view").count() == 1


PHONES_AND_IDS = [
    ("+86 138 1234 5678", "+86 138****5678"),
    ("8613812345678", "86138****5678"),
    ("110101 19800101 1234", "1101**********1234"),
    ("138-1234-5678", "138****5678"),
]


@pytest.mark.django_db
def test_identifiers_in_other_shapes_are_masked_in_stored_problems_and_the_error_report(logged_in, nurse):
    parsed = ParseResult(
        problems=[
            Problem(f"row {n}", "value", raw, f"“{raw}” is not a number.", "not_numeric")
            for n, (raw, _masked) in enumerate(PHONES_AND_IDS, start=2)
        ]
    )
    batch = ImportBatch.objects.create(organization=nurse.organization, kind="csv", filename="x.csv")
    run_import(batch, [parsed])
    stored = list(batch.problems.values_list("value", "reason"))
    assert [value for value, _reason in stored] == [masked for _raw, masked in PHONES_AND_IDS]
    client = logged_in(nurse)
    report = b"".join(client.get(reverse("observations:import_errors", args=[batch.pk])).streaming_content)
    page = client.get(reverse("observations:import_detail", args=[batch.pk])).content.decode()
    for raw, masked in PHONES_AND_IDS:
        assert raw.encode() not in report and raw not in page and masked in page
        assert masked.encode() in report


@pytest.mark.django_db
def test_problems_stored_in_clear_before_are_masked_when_shown(logged_in, nurse):
    batch = stored_problems(nurse.organization, 1)
    ImportProblem.objects.filter(batch=batch).update(value="+86 138 1234 5678", reason="8613812345678 ?")
    client = logged_in(nurse)
    page = client.get(reverse("observations:import_detail", args=[batch.pk])).content.decode()
    report = b"".join(client.get(reverse("observations:import_errors", args=[batch.pk])).streaming_content)
    assert "1234 5678" not in page and b"1234 5678" not in report and b"8613812345678" not in report


@pytest.mark.django_db
def test_migration_masks_problems_stored_in_clear_before(nurse):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("careloop.observations.migrations.0008_redact_stored_problems")
    batch = stored_problems(nurse.organization, 3)
    ImportProblem.objects.filter(batch=batch, location="row 2").update(
        value="+86 138 1234 5678",
        reason="8613812345678 is not a number",
        reason_params={"value": "138-1234-5678"},
    )
    migration.redact_stored_problems(apps, None)
    masked = ImportProblem.objects.get(batch=batch, location="row 2")
    assert (masked.value, masked.reason, masked.reason_params) == (
        "+86 138****5678",
        "86138****5678 is not a number",
        {"value": "138****5678"},
    )
    assert ImportProblem.objects.get(batch=batch, location="row 3").value == "abc1"
