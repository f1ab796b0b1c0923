"""A doctor opens the pre-visit brief from the patient page, in Chinese and in English, in a real browser."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from careloop.patients.models import Allergy, Medication
from tests.questionnaires.test_brief import answered, coded, intake, phq9, result, versions

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = "/tmp/q24shots"


def test_a_doctor_opens_the_brief_from_the_patient_page(login_page, live_server, org, doctor, patient):
    v = versions(org)
    intake(doctor, patient, v["intake"], "血压控制不好", days_ago=45)
    intake(
        doctor,
        patient,
        v["intake"],
        "头晕一周 早上起床时明显 伴有轻微头痛",
        days_ago=1,
        changes="上个月社区医生加了一种降压药厄贝沙坦 之后偶尔心慌",
    )
    phq9(doctor, patient, v["phq-9"], 1, days_ago=3)
    discharge = v["post-discharge"]
    answered(
        doctor,
        patient,
        discharge,
        {
            "overall": coded(discharge, "overall", "worse"),
            "new-or-worse-symptoms": coded(discharge, "new-or-worse-symptoms", "Y"),
            "symptoms-detail": ["走路时胸闷"],
            "medicines": coded(discharge, "medicines", "as-prescribed"),
            "complications": coded(discharge, "complications", "N"),
            "call-back": coded(discharge, "call-back", "Y"),
        },
        days_ago=12,
    )
    result(patient, "2823-3", 2.7, "critical_low", days_ago=9)
    result(patient, "1558-6", 8.6, "high", days_ago=20)
    result(patient, "1558-6", 9.3, "high", days_ago=6)
    result(patient, "2093-3", 6.8, "high", days_ago=6)
    Medication.objects.create(
        patient=patient,
        name="氨氯地平",
        dose="5 mg",
        start_date=timezone.localdate() - datetime.timedelta(days=400),
    )
    Medication.objects.create(patient=patient, name="厄贝沙坦", dose="150 mg")
    Allergy.objects.create(
        patient=patient, substance="青霉素", category="medication", reaction="皮疹", severity="moderate"
    )

    page = login_page(doctor)
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.click("a[data-tab=questionnaires]")
    page.click("#open-brief")
    expect(page.locator("#brief-intake .brief-complaint")).to_contain_text("头晕一周")
    expect(page.locator("#brief-intake")).to_contain_text("厄贝沙坦")
    rows = page.locator("#brief-results tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_have_attribute("data-code", "2823-3")  # the critical result on top
    expect(rows.first).to_contain_text("钾")
    expect(page.locator("#brief-scores .answer-flag")).to_have_count(3)  # PHQ-9 item 9, both discharge flags
    expect(page.locator("#brief-allergies")).to_contain_text("青霉素")
    page.screenshot(path=f"{SCREENSHOTS}/brief-zh.png", full_page=True)

    page.click("#switch-language")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#brief-results tbody tr").first).to_contain_text("Potassium")
    page.screenshot(path=f"{SCREENSHOTS}/brief-en.png", full_page=True)

    page.click("#brief-intake-link")  # the intake answer, which links back to the brief
    expect(page.locator(".answer-lines")).to_contain_text("头晕一周")
    page.click("#open-brief")
    expect(page.locator("#brief")).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=f"{SCREENSHOTS}/brief-phone.png", full_page=True)
