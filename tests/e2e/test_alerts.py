"""A nurse records a PHQ-9 with item 9 answered; the responsible doctor sees the alert, with the answer
that raised it, and acknowledges and resolves it, in a real browser."""

import pytest
from playwright.sync_api import expect

from careloop.alerts.models import Alert
from careloop.questionnaires.actions import do_install_shipped

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = "/tmp/alerts-shots"
# Items 1-8 "not at all" but item 2 "several days"; item 9 "several days": total 2, no severe band.
SCORES = {"1": 0, "2": 1, "3": 0, "4": 0, "5": 0, "6": 0, "7": 0, "8": 0, "9": 1}


def test_the_doctor_acknowledges_and_resolves_the_alert_a_phq9_answer_raised(
    login_page, live_server, org, nurse, doctor, patient
):
    patient.responsible_doctor = doctor
    patient.save(update_fields=["responsible_doctor"])
    do_install_shipped(org)

    page = login_page(nurse)
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.click("a[data-tab=questionnaires]")
    page.click("a[data-key='phq-9'][data-language=zh]")
    for link_id, score in SCORES.items():
        page.locator(f"#q-{link_id} input[type=radio]").nth(score).check()
    page.click("#save-answers")
    expect(page.locator("#questionnaire-answers .answer-flag")).to_contain_text("第 9 题")
    expect(page.locator("#patient-alerts")).to_contain_text("好几天")  # the nurse sees it on the page too
    page.screenshot(path=f"{SCREENSHOTS}/patient-page.png", full_page=True)
    page.context.clear_cookies()

    page = login_page(doctor)
    expect(page.locator("#alert-badge")).to_have_text("1")
    page.click("#nav-alerts")
    row = page.locator("#alert-table .alert-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(patient.name)
    expect(row).to_contain_text("好几天")
    expect(row.locator(".severity")).to_have_class("severity urgent")
    page.screenshot(path=f"{SCREENSHOTS}/inbox.png", full_page=True)

    row.locator(".alert-headline").click()
    expect(page.locator("#alert-answers")).to_contain_text("好几天")
    expect(page.locator("#alert-cause")).to_contain_text("第 9 题")
    page.screenshot(path=f"{SCREENSHOTS}/detail-open.png", full_page=True)
    page.click("#acknowledge")
    expect(page.locator("#alert-status")).to_have_class("status alert-acknowledged")
    expect(page.locator("#time-to-acknowledge")).to_be_visible()
    expect(page.locator("#alert-badge")).to_have_count(0)

    page.click("#resolve")  # no note: the browser holds the form back (the server refuses it too)
    assert page.eval_on_selector("#id_note", "note => note.validity.valueMissing")
    expect(page.locator("#alert-status")).to_have_class("status alert-acknowledged")
    page.fill("#id_note", "已电话联系患者，评估自伤风险低，预约心理门诊。")  # noqa: RUF001 (Chinese commas)
    page.click("#resolve")
    expect(page.locator("#resolution-note")).to_contain_text("预约心理门诊")
    page.screenshot(path=f"{SCREENSHOTS}/detail-resolved.png", full_page=True)
    alert = Alert.objects.get()
    assert (alert.status, alert.acknowledged_by, alert.resolved_by) == ("resolved", doctor, doctor)

    page.goto(f"{live_server.url}/alerts/")
    expect(page.locator("#no-alerts")).to_be_visible()
    page.goto(f"{live_server.url}/alerts/?status=resolved")
    expect(page.locator("#alert-table .alert-row")).to_have_count(1)
    page.screenshot(path=f"{SCREENSHOTS}/inbox-resolved.png", full_page=True)
