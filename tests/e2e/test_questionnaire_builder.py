"""An administrator builds a small questionnaire with a condition, tries it in the phone preview and
publishes it, in a real browser. Screenshots of the builder and of the preview go to SCREENSHOTS."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from careloop.questionnaires.actions import do_install_shipped
from careloop.questionnaires.models import Questionnaire

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path("/tmp/builder-shots")


def test_an_admin_builds_a_questionnaire_with_a_condition_previews_and_publishes_it(
    login_page, live_server, admin_user
):
    SCREENSHOTS.mkdir(exist_ok=True)
    page = login_page(admin_user)
    page.click("#nav-organization")
    page.click("#tab-questionnaires")
    page.fill("#new-title", "吸烟情况随访")
    page.fill("#new-key", "smoking")
    page.select_option("#new-language", "zh")
    page.click("#create-questionnaire button[type=submit]")
    expect(page.locator("h1")).to_have_text("吸烟情况随访")

    page.select_option("#add-type", "boolean")
    page.click("#add-item button[type=submit]")
    first = page.locator("#item-1")
    first.locator("textarea[name=text]").fill("您吸烟吗?")
    first.locator("input[name=required]").check()
    first.locator(".b-save").click()

    page.select_option("#add-type", "integer")
    page.click("#add-item button[type=submit]")
    second = page.locator("#item-2")
    second.locator("input[name=link_id]").fill("per-day")
    second.locator("textarea[name=text]").fill("平均每天吸几支?")
    second.locator("input[name=min_value]").fill("1")
    second.locator("input[name=max_value]").fill("100")
    second.locator("select[name=when_question]").first.select_option("1")
    second.locator("select[name=when_operator]").first.select_option("=")
    second.locator("input[name=when_answer]").first.fill("true")
    second.locator(".b-save").click()

    expect(page.locator("#item-per-day summary")).to_contain_text("平均每天吸几支")
    expect(page.locator("#ready")).to_be_visible()
    # The question asked only of smokers is greyed out until the preview's answer calls for it.
    preview = page.locator("#preview")
    expect(preview.locator("#q-per-day")).to_have_class("q-item field depth-0 q-disabled")
    page.screenshot(path=str(SCREENSHOTS / "builder.png"), full_page=True)
    preview.locator("#q-1 label.match").first.click()
    expect(page.locator("#preview #q-per-day")).not_to_have_class("q-item field depth-0 q-disabled")
    page.locator("#preview").screenshot(path=str(SCREENSHOTS / "preview.png"))

    page.click("#publish")
    expect(page.locator(".messages")).to_be_visible()
    questionnaire = Questionnaire.objects.get(key="smoking")
    assert questionnaire.status == "active"
    version = questionnaire.versions.get()
    assert version.parsed.item("per-day").enable_when[0].answer is True
    expect(page.locator("#versions")).to_contain_text("1")
    page.screenshot(path=str(SCREENSHOTS / "published.png"), full_page=True)


def test_a_shipped_instrument_opens_in_the_builder_with_its_scoring(login_page, live_server, org, admin_user):
    do_install_shipped(org)
    phq9 = Questionnaire.objects.get(key="phq-9", language="zh")
    page = login_page(admin_user)
    page.goto(f"{live_server.url}/questionnaires/manage/")
    page.screenshot(path=str(SCREENSHOTS / "list.png"), full_page=True)
    page.click("#import-link")
    page.fill("#id_text", '{"resourceType": "Questionnaire", "status": "active", "item": [{"linkId": "1"}]}')
    page.fill("#id_key", "broken")
    page.click("#import-submit")
    expect(page.locator("#import-problems")).to_contain_text("not a supported item type")
    page.screenshot(path=str(SCREENSHOTS / "import.png"), full_page=True)
    page.goto(f"{live_server.url}/questionnaires/manage/")
    page.click(f"#questionnaire-{phq9.pk} a")
    expect(page.locator("#up-to-date")).to_be_visible()
    expect(page.locator("#scoring input[name='score-0-code']")).to_have_value("44261-6")
    page.locator("#item-9 summary").click()
    page.screenshot(path=str(SCREENSHOTS / "phq9-builder.png"), full_page=True)
