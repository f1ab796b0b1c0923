"""The audit page in a real browser (zh-Hans): an administrator finds what happened to one patient by name."""

import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from careloop.accounts.auditseal import Sealer
from tests.factories import make_patient

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_auditor_filters_the_trail_by_a_patients_name(
    login_page, live_server, auditor, doctor, nurse, settings, tmp_path
):
    settings.AUDIT_CHECKPOINT_DIR = tmp_path  # this test's checkpoints only
    zhang, li = make_patient(doctor, name="张三"), make_patient(doctor, name="李四")
    for user, patient in [(nurse, zhang), (doctor, li), (nurse, li)]:
        client = Client()
        client.force_login(user)
        client.get(reverse("patients:detail", args=[patient.pk]))
    Sealer().run_once(force_checkpoint=True)

    page = login_page(auditor)
    page.goto(f"{live_server.url}/audit/")
    rows = page.locator("#audit-entries tbody tr")
    expect(rows).to_have_count(6)  # 2 registrations, 3 views, the reviewer's own sign-in
    page.fill("#id_patient", "张三")
    page.click("#audit-filter")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("王护士")
    for row in range(2):
        expect(rows.nth(row).locator("td").nth(3)).to_have_text("张三")
    assert "?s=" in page.url and "%E5%BC%A0" not in page.url  # the name typed is kept server-side

    page.click("#verify-chain")
    expect(page.locator("#audit-check")).to_be_visible()
    call_command("worker", "--batch", "--no-startup-delay", stdout=io.StringIO())
    expect(page.locator("#audit-check")).to_have_class("banner ok", timeout=10_000)  # htmx asks every 2 s
    expect(page.locator("#audit-checkpoint")).to_contain_text(
        str(timezone.now().year)
    )  # the newest one's date
    expect(rows).to_have_count(2)  # the filter is kept
    page.screenshot(path="test-artifacts/audit-page.png", full_page=True)
