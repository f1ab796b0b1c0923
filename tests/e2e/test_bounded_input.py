"""Bounded input in a real browser: an upload over the limit is stopped and said so in the user's language;
a far larger one gets the product's 413 page; an import with more refusals than it stores says how many
more there were, on its page and at the end of its error report."""

import csv
import io

import pytest
from playwright.sync_api import expect

from careloop.observations.models import ImportBatch, ImportProblem
from tests.observations import bombs

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MB = 2**20


def upload(page, path) -> None:
    page.click("text=结果导入")
    page.set_input_files("#id_file", str(path))
    page.click("#start-import")


def test_upload_over_the_limit_is_stopped_and_the_form_says_so(login_page, nurse, settings, tmp_path):
    settings.IMPORT_MAX_UPLOAD_MB = 1
    big = tmp_path / "体检结果.csv"
    big.write_bytes(b"x" * (3 * MB // 2))
    page = login_page(nurse)
    upload(page, big)
    expect(page.locator("#upload-form")).to_contain_text("文件超过 1 MB。")
    expect(page.locator("#upload-form .field.has-error")).to_have_count(
        1
    )  # the file, not "required" for the rest
    assert not ImportBatch.objects.exists()


def test_upload_far_over_the_limit_gets_the_too_large_page(login_page, nurse, settings, tmp_path):
    settings.IMPORT_MAX_UPLOAD_MB = 1
    huge = tmp_path / "体检结果.csv"
    huge.write_bytes(b"x" * (12 * MB))
    page = login_page(nurse)
    upload(page, huge)
    expect(page.locator("#request-too-large")).to_be_visible()
    expect(page.locator("#request-too-large")).to_contain_text("1 MB")
    expect(page.locator("#request-too-large")).to_contain_text("12")
    expect(page.locator("#too-large-back")).to_have_attribute("href", "/imports/")
    assert not ImportBatch.objects.exists()


def test_a_workbook_bomb_is_refused_at_once_with_its_reason(login_page, nurse, settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.IMPORT_DIR = tmp_path / "imports"
    bomb = tmp_path / "体检结果.xlsx"  # 150 KB, three million styled empty rows
    bomb.write_bytes(
        bombs.workbook(bombs.styled_empty_rows(3_000_000, dimension=False), bombs.header_only_strings())
    )
    page = login_page(nurse)
    upload(page, bomb)
    expect(page.locator("#count-refused")).to_have_text("1")
    expect(page.locator("#problems")).to_contain_text("looks like a decompression bomb")
    expect(page.locator("#count-created")).to_have_text("0")


def test_refusals_past_the_stored_cap_are_summed_up_on_the_page_and_in_the_report(
    login_page, live_server, nurse, settings
):
    batch = ImportBatch.objects.create(
        organization=nurse.organization,
        kind="xlsx",
        filename="体检结果.xlsx",
        status="done",
        received=2_990_010,
        refused=2_990_010,
        problems_not_stored={"duplicate": 2_000_000, "not_numeric": 990_000},
    )
    ImportProblem.objects.bulk_create(
        ImportProblem(
            batch=batch,
            location=f"row {n}",
            field="value",
            value=f"abc{n}",
            code="not_numeric",
            reason=f"“abc{n}” is not a number.",
            reason_template="“%(value)s” is not a number.",
            reason_params={"value": f"abc{n}"},
        )
        for n in range(2, 12)
    )
    page = login_page(nurse)
    page.goto(f"{live_server.url}/imports/{batch.pk}/")
    expect(page.locator("#problems tbody tr")).to_have_count(10)
    summary = page.locator("#problems-not-stored")
    expect(summary).to_contain_text("2,990,000")
    expect(summary).to_contain_text("2,000,000")
    with page.expect_download() as download:
        page.click("#download-errors")
    report = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    assert len(report) == 1 + 10 + 1
    assert report[-1][0].startswith("另有 2,990,000 条被拒绝的条目未保存")
    summary.scroll_into_view_if_needed()  # for the screenshot
