"""Critical values in a real browser (zh-Hans): the medical office sets a hospital's own, row by row."""

import pytest
from playwright.sync_api import expect

from careloop.observations.models import CriticalLimit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

POTASSIUM, CREATININE = "2823-3", "2160-0"


def test_an_admin_sets_potassium_limits_and_a_wrong_one_is_refused_in_its_row(
    login_page, live_server, admin_user
):
    page = login_page(admin_user)
    page.goto(f"{live_server.url}/imports/")
    page.click("#critical-limits-link")
    expect(page.locator("h1")).to_have_text("危急值")
    glucose = page.locator("#limit-1558-6")
    expect(glucose.locator("td.in-force")).to_have_text("< 3")  # the catalogue's (CDS 2020)

    potassium = page.locator(f"#limit-{POTASSIUM}")
    potassium.locator("input[name=low]").fill("2.8")
    potassium.locator("input[name=high]").fill("6.2")
    potassium.get_by_role("button", name="保存").click()
    potassium = page.locator(f"#limit-{POTASSIUM}")  # the row was swapped for the saved one
    expect(potassium.locator(".saved")).to_have_text("已保存")
    expect(potassium.locator("td.in-force")).to_have_text("< 2.8 · > 6.2")
    assert CriticalLimit.objects.get(code=POTASSIUM).low == 2.8

    creatinine = page.locator(f"#limit-{CREATININE}")
    creatinine.locator("input[name=high]").fill("9000")
    creatinine.get_by_role("button", name="保存").click()
    error = page.locator(f"#limit-{CREATININE} .error")
    expect(error).to_contain_text("5 至 3000")
    expect(page.locator(f"#limit-{CREATININE} input[name=high]")).to_have_value("9000")
    assert not CriticalLimit.objects.filter(code=CREATININE).exists()

    page.reload()  # what was saved is what the page shows next time
    expect(page.locator(f"#limit-{POTASSIUM} input[name=high]")).to_have_value("6.2")
    expect(page.locator("#own-count")).to_contain_text("1 项指标")
