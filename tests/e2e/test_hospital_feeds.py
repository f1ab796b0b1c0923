"""Hospital feeds in a real browser: the administrator holds new patients for review, a proposed patient is
registered from the queue (their result is filed), and a feed's change older than a clerk's correction is
decided on the review page."""

import pytest
from playwright.sync_api import expect

from careloop.observations.models import Observation
from careloop.patients.models import Patient
from tests.observations.test_feed_registration import admit, glucose, send, update

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_hold_new_patients_register_one_from_the_queue_and_decide_a_held_change(
    login_page, live_server, org, admin_user, tmp_path
):
    page = login_page(admin_user)
    page.goto(f"{live_server.url}/imports/")
    page.click("#feed-policy-link")
    page.check("input[name=unknown_patients][value=hold]")
    page.screenshot(path=str(tmp_path / "policy.png"), full_page=True)
    page.click("#feed-policy button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("已保存")

    assert send(org, admit()) == b"AA" and send(org, glucose()) == b"AA"
    assert not Patient.objects.exists()
    page.goto(f"{live_server.url}/imports/unmatched/")
    proposal = page.locator("#unmatched tbody tr", has_text="接口发来的患者信息")
    expect(proposal).to_contain_text("接口设置要求新患者须经审核")
    page.screenshot(path=str(tmp_path / "queue.png"), full_page=True)
    proposal.locator("text=登记为新患者").click()
    expect(page.locator("#id_name")).to_have_value("赵建国")
    expect(page.locator("#id_address")).to_have_value("广东省深圳市福田区")
    page.click("form.formgrid button[type=submit]")
    expect(page.locator("h1")).to_contain_text("赵建国")
    zhao = Patient.objects.get()
    assert Observation.objects.get().patient == zhao

    zhao.hand_edited = {"mobile": "2030-01-01T00:00:00+00:00"}
    zhao.save(update_fields=["hand_edited"])
    assert send(org, update("ADT2", "20261201100000", mobile="13500000002")) == b"AA"
    page.goto(f"{live_server.url}/imports/")
    page.click("#feed-reviews-link")
    row = page.locator("#feed-reviews tbody tr").first
    expect(row).to_contain_text("135****0002")
    page.screenshot(path=str(tmp_path / "reviews.png"), full_page=True)
    row.locator("button[value=apply]").click()
    expect(page.locator("#feed-reviews")).to_contain_text("没有待核对的接口修改")
    zhao.refresh_from_db()
    assert zhao.mobile == "13500000002"
