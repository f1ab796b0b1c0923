"""A nurse administers the PHQ-9 in Chinese during a call, from the patient page, in a real browser."""

import pytest
from playwright.sync_api import expect

from careloop.questionnaires.actions import do_install_shipped
from careloop.questionnaires.models import QuestionnaireAnswer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = "/tmp/q24shots"


def test_a_nurse_fills_the_phq9_in_chinese_and_sees_the_total_and_band(
    login_page, live_server, org, nurse, patient, tmp_path
):
    do_install_shipped(org)
    page = login_page(nurse)
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.click("a[data-tab=questionnaires]")
    expect(page.locator("#no-answers")).to_be_visible()
    page.click("a[data-key='phq-9'][data-language=zh]")
    expect(page.locator("h1")).to_contain_text("PHQ-9")

    page.click("#save-answers")  # nothing chosen: every question is marked
    expect(page.locator(".form-alert")).to_be_visible()
    expect(page.locator("#q-1 .error")).to_have_text("此题必须回答。")
    page.screenshot(path=f"{SCREENSHOTS}/form-errors.png", full_page=True)

    for link_id, label in [("1", "几乎每天"), ("2", "几乎每天"), ("3", "一半以上的天数")]:
        page.locator(f"#q-{link_id} label", has_text=label).click()
    for link_id, score in [("4", 3), ("5", 3), ("6", 2), ("7", 2), ("8", 2)]:
        page.locator(f"#q-{link_id} input[type=radio]").nth(score).check()
    page.locator("#q-9 input[type=radio]").nth(1).check()
    page.screenshot(path=f"{SCREENSHOTS}/form.png", full_page=True)
    page.click("#save-answers")

    expect(page.locator(".messages")).to_contain_text("总分 21，重度抑郁")  # noqa: RUF001 (Chinese comma)
    expect(page.locator("#questionnaire-answers")).to_contain_text("重度抑郁")
    expect(page.locator("#questionnaire-answers .answer-flag")).to_contain_text("第 9 题")
    page.screenshot(path=f"{SCREENSHOTS}/tab.png", full_page=True)
    assert QuestionnaireAnswer.objects.get().scores["scores"][0]["total"] == 21
    page.click("#questionnaire-answers a")
    expect(page.locator(".answer-lines")).to_contain_text("几乎每天")
    page.screenshot(path=f"{SCREENSHOTS}/answer.png", full_page=True)

    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(
        page.url.split("/patients/")[0]
        + f"/questionnaires/patients/{patient.pk}/fill/"
        + str(QuestionnaireAnswer.objects.get().version.questionnaire_id)
        + "/"
    )
    page.screenshot(path=f"{SCREENSHOTS}/form-360.png", full_page=True)
