"""The registry's main flows, in a real browser (Debian's Chromium, headless).

In the default language (zh-Hans).
"""

import datetime
import re

import pytest
from playwright.sync_api import expect

from careloop.patients.models import Patient
from tests.factories import make_patient, resident_id

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_login_and_find_a_patient_by_pinyin_initials(login_page, live_server, nurse):
    make_patient(nurse, name="张三")
    make_patient(nurse, name="李四")
    page = login_page(nurse)
    expect(page).to_have_url(re.compile(r"/patients/$"))
    page.fill("#id_q", "zs")
    expect(page.locator("table.patients tbody tr")).to_have_count(1)
    expect(page.locator("table.patients")).to_contain_text("张三")
    expect(page).to_have_url(re.compile(r"/patients/\?s=[\w-]+$"))  # a token, not what was typed
    page.click("text=张三")
    expect(page.locator(".patient-header h1")).to_contain_text("张三")
    page.go_back()  # the search comes back from the server by its token
    expect(page.locator("table.patients tbody tr")).to_have_count(1)
    expect(page.locator("#id_q")).to_have_value("zs")


def test_typed_identifiers_reach_no_url_history_or_browser_storage(login_page, live_server, nurse, settings):
    settings.PATIENTS_PER_PAGE = 1
    wanted = make_patient(nurse, name="张三")
    make_patient(nurse, name="张四", mobile=wanted.mobile[:-4] + "0000")
    page = login_page(nurse)
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    for typed in (wanted.id_number, wanted.mobile, "zhang"):
        page.fill("#id_q", typed)
        page.locator("#patient-search button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/patients/\?s="))
    expect(page.locator("table.patients tbody tr")).to_have_count(1)
    page.click(".pagination a")  # page 2 of the pinyin search, by token
    expect(page).to_have_url(re.compile(r"\?s=[\w-]+&page=2$"))
    page.reload()
    expect(page.locator("#id_q")).to_have_value("zhang")
    history = page.evaluate("() => JSON.stringify(sessionStorage) + JSON.stringify(localStorage)")
    for typed in (wanted.id_number, wanted.mobile, wanted.mobile[-4:], "zhang"):
        assert not [url for url in urls if typed in url], typed
        assert typed not in history


def test_register_with_wrong_check_digit_then_valid(login_page, live_server, receptionist):
    page = login_page(receptionist)
    page.click("#register-patient")
    valid = resident_id(datetime.date(1975, 3, 8), sequence=236)  # even sequence: a woman
    wrong_digit = str((int(valid[-1]) + 1) % 10) if valid[-1] != "X" else "0"
    page.fill("#id_name", "赵敏")
    page.select_option("#id_sex", "female")
    page.fill("#id_id_number", valid[:-1] + wrong_digit)
    page.fill("#id_mobile", "13912345678")
    page.click("#save-patient")
    expect(page.locator(".form-alert")).to_be_visible()
    expect(page.locator(".field.has-error")).to_contain_text("校验码")
    assert Patient.objects.count() == 0

    page.fill("#id_id_number", valid)
    page.click("#save-patient")
    expect(page.locator(".patient-header h1")).to_contain_text("赵敏")
    expect(page.locator("#id-number")).to_contain_text(valid[:4] + "**********" + valid[-4:])
    patient = Patient.objects.get()
    assert patient.birth_date == datetime.date(1975, 3, 8)


def test_a_near_duplicate_is_warned_and_the_candidate_opened(login_page, live_server, receptionist, tmp_path):
    born = datetime.date(1958, 6, 7)
    registered = make_patient(receptionist, name="王晓明", sex="male", birth_date=born)
    page = login_page(receptionist)
    page.click("#register-patient")
    page.fill("#id_name", "王小明")  # a homophone typed at the desk
    page.select_option("#id_sex", "male")
    page.fill("#id_birth_date", born.isoformat())
    page.click("#save-patient")
    expect(page.locator("#duplicates")).to_contain_text("此人可能已经登记")
    expect(page.locator("#duplicates tr.duplicate")).to_have_count(1)
    expect(page.locator("#duplicates")).to_contain_text("姓名读音相同")
    expect(page.locator("#duplicates")).not_to_contain_text(registered.id_number)
    page.screenshot(path=str(tmp_path / "duplicates.png"), full_page=True)
    assert Patient.objects.count() == 1
    page.click("#duplicates >> text=打开此档案")
    expect(page.locator(".patient-header h1")).to_contain_text("王晓明")
    assert Patient.objects.count() == 1


def test_issue_a_card_and_print_it(login_page, live_server, receptionist):
    patient = make_patient(receptionist, name="钱多多")
    page = login_page(receptionist)
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.click("[data-tab=cards]")
    expect(page.locator("#no-card")).to_be_visible()
    page.select_option("#tab-panel select[name=tier]", "gold")
    page.click("#issue-card")
    expect(page.locator("#current-card")).to_contain_text("金卡")
    card = patient.cards.get()
    assert card.status == "active" and card.tier == "gold"
    expect(page.locator("#card-history")).to_contain_text(card.number[:4])

    with page.expect_popup() as popup:
        page.click("#print-card")
    printed = popup.value
    expect(printed.locator("svg")).to_have_count(1)
    expect(printed.locator("body")).to_contain_text("钱*多")
    expect(printed.locator("body")).not_to_contain_text(patient.mobile)
