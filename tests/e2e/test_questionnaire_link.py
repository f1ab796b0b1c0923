"""A patient answers a questionnaire link on a 360 px phone: half now, the rest after a reload and a
dropped connection; then the link is used up. A nurse sends the link from the patient page."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from careloop.questionnaires.actions import do_install_shipped, do_record_answer
from careloop.questionnaires.invitations import do_send_links
from careloop.questionnaires.models import QuestionnaireAnswer, QuestionnaireInvitation
from tests.questionnaires.test_answers import answers_scoring

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = "/tmp/q24shots"
PHONE = {"width": 360, "height": 740}


def _phq9_link(org, nurse, patient, language="zh"):
    versions = do_install_shipped(org)
    version = next(
        v for v in versions if (v.questionnaire.key, v.questionnaire.language) == ("phq-9", language)
    )
    [sent] = do_send_links(nurse, [patient], version)
    return sent.token


def _choose(page, link_id, nth):
    page.locator(f"#q-{link_id} label.match").nth(nth).click()


def test_a_patient_answers_half_reloads_loses_the_network_and_finishes(
    browser, live_server, org, nurse, patient
):
    token = _phq9_link(org, nurse, patient)
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/q/{token}/")
    expect(page.locator("h1")).to_contain_text("PHQ-9")
    for link_id in ("1", "2", "3", "4"):
        _choose(page, link_id, 1)
    expect(page.locator("#save-status")).to_contain_text("已保存于")  # not "…已保存在本机" (offline)
    page.screenshot(path=f"{SCREENSHOTS}/link-phone.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.reload()
    expect(page.locator("#q-4 input[type=radio]").nth(1)).to_be_checked()

    context.set_offline(True)
    _choose(page, "5", 2)
    expect(page.locator("#save-status")).to_contain_text("没有网络")
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#save-status")).to_contain_text("已保存于")  # not "…已保存在本机" (offline)
    assert QuestionnaireInvitation.objects.get().draft["5"] == "2"

    page.click("#submit-answers")  # four questions still open: marked, nothing lost
    expect(page.locator(".form-alert")).to_be_visible()
    expect(page.locator("#q-6 .error")).to_be_visible()
    expect(page.locator("#q-5 input[type=radio]").nth(2)).to_be_checked()
    for link_id in ("6", "7", "8", "9"):
        _choose(page, link_id, 0)
    page.click("#submit-answers")
    expect(page.locator("#link-done h1")).to_have_text("谢谢")
    page.screenshot(path=f"{SCREENSHOTS}/link-done.png", full_page=True)
    assert QuestionnaireAnswer.objects.get().scores["scores"][0]["total"] == 6
    assert page.evaluate("Object.keys(localStorage).length") == 0

    page.goto(f"{live_server.url}/q/{token}/")
    expect(page.locator("#link-state")).to_have_attribute("data-state", "answered")
    context.close()


def test_an_expired_link_shows_its_page(browser, live_server, org, nurse, patient):
    token = _phq9_link(org, nurse, patient, language="en")
    QuestionnaireInvitation.objects.update(expires_at=timezone.now() - datetime.timedelta(hours=1))
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/q/{token}/")
    expect(page.locator("h1")).to_have_text("This link has expired")
    page.screenshot(path=f"{SCREENSHOTS}/link-expired.png", full_page=True)
    context.close()


def test_a_nurse_sends_a_link_and_sees_its_code(login_page, live_server, org, nurse, patient):
    do_install_shipped(org)
    page = login_page(nurse)
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.click("a[data-tab=questionnaires]")
    page.click("#send-link")
    page.select_option("#id_questionnaire", label="PHQ-9 患者健康问卷-9 (中文)")
    page.click("#create-link")
    expect(page.locator("#link-state")).to_have_text("等待回答")
    expect(page.locator("#link-qr svg")).to_be_visible()
    url = page.locator("#link-url").input_value()
    assert "/q/" in url
    page.screenshot(path=f"{SCREENSHOTS}/link-detail.png", full_page=True)


def test_the_questionnaires_tab_charts_totals_over_time_on_their_bands(
    login_page, live_server, org, nurse, patient
):
    version = next(
        v
        for v in do_install_shipped(org)
        if (v.questionnaire.key, v.questionnaire.language) == ("phq-9", "zh")
    )
    for days, scores in ((90, (1,) * 9), (30, (2,) * 9), (1, (3,) * 8 + (1,))):
        answer = do_record_answer(nurse, patient, version, answers_scoring(version, scores))
        answer.answered_at = timezone.now() - datetime.timedelta(days=days)
        answer.save(update_fields=["answered_at"])
    page = login_page(nurse)
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.click("a[data-tab=questionnaires]")
    expect(page.locator("#score-charts figcaption")).to_have_text("PHQ-9 患者健康问卷-9")
    expect(page.locator("#score-charts canvas")).to_be_visible()
    page.screenshot(path=f"{SCREENSHOTS}/score-chart.png", full_page=True)


def test_ticked_boxes_and_other_words_survive_a_reload(browser, live_server, org, nurse, patient):
    from careloop.questionnaires.models import Questionnaire, QuestionnaireVersion
    from tests.questionnaires.sample import sample

    definition = sample()
    questionnaire = Questionnaire.objects.create(
        organization=org, key="sample", language="en", title="Sample"
    )
    version = QuestionnaireVersion.objects.create(
        questionnaire=questionnaire, number=1, definition=definition
    )
    [sent] = do_send_links(nurse, [patient], version)
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/q/{sent.token}/")
    expect(page.locator("#q-where")).to_be_hidden()  # asked only once pain is "Some"
    page.locator("#q-pain label.match", has_text="Some").click()
    expect(page.locator("#q-where")).to_be_visible()
    page.locator("#q-where label.match", has_text="Head").click()
    page.locator("#q-where label.match", has_text="Chest").click()
    expect(page.locator("#save-status")).to_contain_text("Saved at")
    page.reload()
    expect(page.locator("#q-where input[type=checkbox]").nth(0)).to_be_checked()
    expect(page.locator("#q-where input[type=checkbox]").nth(1)).to_be_checked()
    assert QuestionnaireInvitation.objects.get().draft["where"] == "0,1"
    page.screenshot(path=f"{SCREENSHOTS}/link-sample.png", full_page=True)
    context.close()
