"""Merging two records of one person from the probable duplicates, and undoing it, in a real browser
(zh-Hans)."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from careloop.observations.models import Observation
from careloop.patients.models import Patient, PatientMerge
from tests.factories import make_patient

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BORN = datetime.date(1958, 6, 7)


def test_merge_a_pair_from_the_duplicates_then_undo(login_page, live_server, doctor, tmp_path):
    older = make_patient(doctor, name="王晓明", sex="male", birth_date=BORN, mobile="13800000001")
    newer = make_patient(
        doctor, name="王小明", sex="male", birth_date=BORN, mobile="13900000009", address="幸福路1号"
    )
    result = Observation.objects.create(
        organization_id=newer.organization_id,
        patient=newer,
        code="2345-7",
        value_reported="5.6",
        effective_at=datetime.datetime(2026, 11, 2, 8, tzinfo=datetime.UTC),
        source_kind="hospital_system",
        source_system="LIS",
        source_id="obs-1",
    )
    page = login_page(doctor)
    page.goto(f"{live_server.url}/patients/duplicates/")
    page.screenshot(path=str(tmp_path / "duplicates.png"), full_page=True)
    page.click("#duplicate-pairs tr.pair >> text=合并")
    expect(page.locator("h1")).to_contain_text("合并两份档案")
    expect(page.locator("#merge-fields tr.differs")).to_have_count(4)  # name, ID number, mobile, address
    expect(page.locator("#merge-fields")).not_to_contain_text("13900000009")
    page.screenshot(path=str(tmp_path / "merge.png"), full_page=True)

    page.check(f"#choose-survivor input[value='{older.pk}']")
    page.check(f"tr[data-field=name] input[value='{older.pk}']")
    page.check(f"tr[data-field=mobile] input[value='{newer.pk}']")
    page.click("#merge-submit")
    expect(page).to_have_url(re.compile(rf"/patients/{older.pk}/$"))
    expect(page.locator(".patient-header h1")).to_contain_text("王晓明")
    expect(page.locator(".messages")).to_contain_text("已合并到此档案")
    expect(page.locator("#mobile")).to_contain_text("139****0009")
    page.screenshot(path=str(tmp_path / "merged.png"), full_page=True)
    result.refresh_from_db()
    assert result.patient_id == older.pk
    assert Patient.objects.get(pk=newer.pk).merged_into_id == older.pk

    page.click("#undo-merge")
    expect(page).to_have_url(re.compile(r"/patients/merges/$"))
    expect(page.locator(".messages")).to_contain_text("撤销")
    expect(page.locator("#merges")).to_contain_text("已撤销")
    page.screenshot(path=str(tmp_path / "merges.png"), full_page=True)
    result.refresh_from_db()
    older.refresh_from_db()
    assert result.patient_id == newer.pk and older.mobile == "13800000001"
    assert PatientMerge.objects.get().undone_by == doctor
    page.goto(f"{live_server.url}/patients/duplicates/")
    expect(page.locator("#duplicate-pairs tr.pair")).to_have_count(1)
