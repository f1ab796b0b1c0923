"""Logging in with a second factor in a real browser: a code from the app, then a recovery code; the
second-factor page in its "on" state; new recovery codes; a throttled login answered like a wrong one."""

import re
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import expect

from careloop.accounts import actions
from careloop.accounts.totp import time_step
from tests.accounts.test_totp_replay import steady_step
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SECRET = pyotp.random_base32()
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def enrolled(doctor):
    codes = actions.do_enable_totp(doctor, SECRET, time_step(0))
    return doctor, codes


def test_log_in_with_a_code_then_with_a_recovery_code(login_page, live_server, enrolled):
    user, codes = enrolled
    page = login_page(user)
    expect(page).to_have_url(re.compile(r"/login/verify/$"))
    screenshot(page, "second_factor_code_step")
    page.fill("#id_code", pyotp.TOTP(SECRET).at(steady_step() * 30))
    page.click("#verify-code")
    expect(page).to_have_url(re.compile(r"/patients/$"))

    page.click("form[action='/logout/'] button")
    expect(page).to_have_url(re.compile(r"/login/$"))
    page = login_page(user)
    page.fill("#id_code", codes[0])
    page.click("#verify-code")
    expect(page).to_have_url(re.compile(r"/patients/$"))
    expect(page.locator(".messages")).to_contain_text("9")

    page.goto(f"{live_server.url}/account/second-factor/")
    expect(page.locator("#factor-state")).to_be_visible()
    expect(page.locator("#codes-left")).to_contain_text("9")
    expect(page.locator("#totp-secret")).to_have_count(0)
    screenshot(page, "second_factor_on")


def test_new_recovery_codes_behind_password_and_code(login_page, live_server, enrolled):
    user, codes = enrolled
    page = login_page(user)
    page.fill("#id_code", codes[0])
    page.click("#verify-code")
    expect(page).to_have_url(re.compile(r"/patients/$"))
    page.goto(f"{live_server.url}/account/second-factor/")
    page.fill("#id_password", PASSWORD)
    page.fill("#id_code", pyotp.TOTP(SECRET).at(steady_step() * 30))
    page.click("#renew-codes")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    assert not set(page.locator("#recovery-codes li").all_inner_texts()) & set(codes)
    screenshot(page, "recovery_codes")


def test_a_throttled_login_is_answered_like_a_wrong_password(page, live_server, nurse, settings):
    def log_in(password: str) -> str:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", nurse.username)
        page.fill("#id_password", password)
        page.click("#login-submit")
        return str(page.locator("#login-error").inner_text())

    wrong = log_in("not-the-password")
    for _ in range(settings.LOGIN_MAX_FAILURES - 1):
        log_in("not-the-password")
    assert log_in(PASSWORD) == wrong
    expect(page).to_have_url(re.compile(r"/login/$"))
