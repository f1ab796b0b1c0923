"""An administrator reads the post-discharge protocol's sources (low confidence: a notice asks to confirm
it) and switches it on; a doctor opens a patient's Follow-up tab, previews the plan for a discharge three
days ago, enrols, and finds the tasks with their dates. Screenshots go to SCREENSHOTS."""

import datetime
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from careloop.followup.actions import do_install_shipped
from careloop.followup.models import Enrolment, Protocol
from tests.factories import make_patient

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path("/tmp/protocols")


def test_an_admin_switches_the_protocol_on_and_a_doctor_enrols_a_patient_after_a_preview(
    login_page, live_server, browser, admin_user, doctor
):
    SCREENSHOTS.mkdir(exist_ok=True)
    org = admin_user.organization
    do_install_shipped(org)
    patient = make_patient(doctor, name="周明")

    page = login_page(admin_user)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.click("#nav-organization")
    page.click("#tab-protocols")
    row = page.locator("#protocol-post-discharge")
    expect(row).to_have_attribute("data-status", "draft")
    page.screenshot(path=str(SCREENSHOTS / "list.png"), full_page=True)
    row.locator(".protocol-link").click()
    expect(page.locator("#confirm-notice")).to_be_visible()
    expect(page.locator('#protocol-sources .source-row[data-confidence="low"]')).to_have_count(5)
    expect(page.locator("#protocol-steps .protocol-step")).to_have_count(3)
    page.screenshot(path=str(SCREENSHOTS / "protocol.png"), full_page=True)
    page.click("#switch-on")
    expect(page.locator("#protocol")).to_have_attribute("data-status", "active")
    expect(page.locator("#switch-off")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "protocol-on.png"), full_page=True)
    assert Protocol.objects.get(organization=org, key="post-discharge").status == "active"
    page.context.clear_cookies()

    today = timezone.localdate()
    discharged = today - datetime.timedelta(days=3)
    page = login_page(doctor)
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.click('.tabs [data-tab="followup"]')
    expect(page.locator("#no-plans")).to_be_visible()
    chosen = Protocol.objects.get(organization=org, key="post-discharge")
    page.select_option("#id_protocol", value=str(chosen.pk))
    page.fill("#id_anchor", discharged.isoformat())
    page.click("#enrol-preview-button")
    preview = page.locator("#dry-run .dry-run-task")
    expect(preview).to_have_count(3)
    expect(preview.nth(0)).to_have_attribute("data-due", today.isoformat())
    expect(preview.nth(1)).to_have_attribute("data-due", (today + datetime.timedelta(days=4)).isoformat())
    expect(preview.nth(2)).to_have_attribute("data-due", (today + datetime.timedelta(days=27)).isoformat())
    page.screenshot(path=str(SCREENSHOTS / "tab-preview.png"), full_page=True)
    assert not Enrolment.objects.exists()

    page.click("#enrol-button")
    plan = page.locator("#tab-panel section.plan").first
    expect(plan).to_have_attribute("data-anchor", discharged.isoformat())
    tasks = plan.locator(".plan-task")
    expect(tasks).to_have_count(3)
    expect(tasks.nth(0)).to_have_attribute("data-step", "call-d3")
    expect(tasks.nth(0)).to_have_attribute("data-due", today.isoformat())
    expect(tasks.nth(2)).to_have_attribute("data-due", (today + datetime.timedelta(days=27)).isoformat())
    page.screenshot(path=str(SCREENSHOTS / "tab-enrolled.png"), full_page=True)
    enrolment = Enrolment.objects.get(patient=patient)
    assert enrolment.trigger == {"kind": "manual"} and enrolment.enrolled_by == doctor

    # The discharge date was a day off: the preview shows the moved dates, then they move.
    corrected = discharged + datetime.timedelta(days=1)
    plan.locator("summary").nth(1).click()
    plan.locator(".anchor-form input[type=date]").fill(corrected.isoformat())
    plan.locator(".anchor-preview-button").click()
    moved = plan.locator(".moved-task")
    expect(moved).to_have_count(3)
    expect(moved.first).to_have_attribute("data-due", (today + datetime.timedelta(days=1)).isoformat())
    page.screenshot(path=str(SCREENSHOTS / "tab-anchor-preview.png"), full_page=True)
    plan.locator(".anchor-button").click()
    expect(page.locator("#tab-panel section.plan").first).to_have_attribute(
        "data-anchor", corrected.isoformat()
    )

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.locator("#tab-panel .plan-task")).to_have_count(3)
    page.screenshot(path=str(SCREENSHOTS / "tab-390.png"), full_page=True)
