"""A TOTP code is accepted once (RFC 6238 §5.2); replacing an enrolled factor needs the password and a
current code; the second-factor page shows that the factor is on instead of offering a new one."""

import threading
import time

import pyotp
import pytest
from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.test import Client
from django.urls import reverse

from careloop.accounts import actions
from careloop.accounts.models import AuditEntry, User
from careloop.accounts.totp import accepted_step, time_step
from careloop.fieldcrypto import Undecryptable
from tests.factories import PASSWORD

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
T = 1_790_000_025.0  # 15 s into time step 59_666_667
STEP = 59_666_667


def code_at(step: int, secret: str = SECRET) -> str:
    return pyotp.TOTP(secret).generate_otp(step)


@pytest.mark.parametrize(
    ("typed", "last_used", "accepted"),
    [
        (code_at(STEP), None, STEP),
        (code_at(STEP - 1), None, STEP - 1),  # a phone clock a little behind
        (code_at(STEP - 2), None, None),
        (code_at(STEP + 1), None, None),  # not ahead
        (code_at(STEP), STEP, None),  # the same code again: a replay
        (code_at(STEP - 1), STEP, None),  # the previous step after a newer code was used
        (code_at(STEP - 1), STEP - 1, None),
        (code_at(STEP - 1), STEP - 2, STEP - 1),  # previous step, still newer than the last used
        (code_at(STEP), STEP - 1, STEP),
        (" " + code_at(STEP)[:3] + " " + code_at(STEP)[3:] + " ", None, STEP),  # typed with spaces
        ("12345", None, None),
        ("1234567", None, None),
        ("abcdef", None, None),
        ("١٢٣٤٥٦", None, None),  # digits, but not ASCII ones
        ("", None, None),
    ],
)
def test_accepted_step(typed, last_used, accepted):
    assert accepted_step(SECRET, typed, T, last_used) == accepted


def test_no_secret_accepts_nothing():
    assert accepted_step("", code_at(STEP), T, None) is None


def test_time_steps_are_thirty_seconds():
    assert time_step(T) == STEP and time_step(T + 14.9) == STEP and time_step(T + 15) == STEP + 1


def steady_step() -> int:
    """The current time step, waiting first when it is about to end (so a code made now is still current
    when the server checks it)."""
    if time.time() % 30 > 26:
        time.sleep(30 - time.time() % 30 + 0.1)
    return time_step(time.time())


@pytest.fixture
def enrolled(nurse):
    actions.do_enable_totp(nurse, SECRET, steady_step() - 5)
    nurse.refresh_from_db()
    return nurse


def new_client() -> Client:
    return Client(headers={"Accept-Language": "en"})


def password_then_code(client: Client, user: User, code: str):
    client.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD})
    return client.post(reverse("accounts:totp_verify"), {"code": code})


@pytest.mark.django_db
def test_a_code_logs_in_once(enrolled):
    code = code_at(steady_step())
    first, second = new_client(), new_client()
    password_then_code(first, enrolled, code)
    assert SESSION_KEY in first.session
    page = password_then_code(second, enrolled, code)
    assert SESSION_KEY not in second.session
    assert "That code is not right." in page.content.decode()
    assert AuditEntry.objects.filter(
        action="login.failed", actor=enrolled, detail__reason="second_factor"
    ).exists()


@pytest.mark.django_db
def test_the_previous_steps_code_is_refused_after_a_newer_one_was_used(enrolled):
    step = steady_step()
    password_then_code(new_client(), enrolled, code_at(step))
    client = new_client()
    password_then_code(client, enrolled, code_at(step - 1))
    assert SESSION_KEY not in client.session


@pytest.mark.django_db
def test_the_previous_steps_code_is_accepted_when_nothing_newer_was_used(enrolled):
    client = new_client()
    password_then_code(client, enrolled, code_at(steady_step() - 1))
    assert SESSION_KEY in client.session


@pytest.fixture
def logged_in_enrolled(enrolled):
    client = new_client()
    client.force_login(enrolled)
    return client


@pytest.mark.django_db
def test_second_factor_page_shows_it_is_on_and_offers_no_new_secret(logged_in_enrolled, enrolled):
    page = logged_in_enrolled.get(reverse("accounts:totp_setup")).content.decode()
    assert "Your second factor is on." in page
    assert "<svg" not in page and "totp-secret" not in page
    assert "careloop_totp_setup" not in logged_in_enrolled.session


@pytest.mark.django_db
def test_a_live_session_alone_cannot_replace_the_factor(logged_in_enrolled, enrolled):
    attacker_secret = pyotp.random_base32()
    code = pyotp.TOTP(attacker_secret).now()
    logged_in_enrolled.post(reverse("accounts:totp_setup"), {"code": code})  # what used to be enough
    assert logged_in_enrolled.get(reverse("accounts:totp_replace"))["Location"] == reverse(
        "accounts:totp_setup"
    )
    logged_in_enrolled.post(reverse("accounts:totp_replace"), {"code": code})
    enrolled.refresh_from_db()
    assert enrolled.totp_secret == SECRET
    assert not AuditEntry.objects.filter(action="account.totp_replaced").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("wrong", ["password", "code"])
def test_replacing_needs_both_the_password_and_a_current_code(logged_in_enrolled, enrolled, wrong):
    step = steady_step()
    form = {
        "password": "not-it" if wrong == "password" else PASSWORD,
        "code": code_at(step - 3) if wrong == "code" else code_at(step),
        "intent": "replace",
    }
    page = logged_in_enrolled.post(reverse("accounts:totp_setup"), form)
    assert page.status_code == 200 and "The password or the code is not right." in page.content.decode()
    assert logged_in_enrolled.get(reverse("accounts:totp_replace")).status_code == 302
    failed = AuditEntry.objects.get(action="account.confirm_failed", actor=enrolled)
    assert failed.detail["reason"] == ("password" if wrong == "password" else "second_factor")


@pytest.mark.django_db
def test_replacing_with_password_and_code_then_the_new_app(logged_in_enrolled, enrolled):
    step = steady_step()
    confirmed = logged_in_enrolled.post(
        reverse("accounts:totp_setup"), {"password": PASSWORD, "code": code_at(step), "intent": "replace"}
    )
    assert confirmed["Location"] == reverse("accounts:totp_replace")
    page = logged_in_enrolled.get(reverse("accounts:totp_replace")).content.decode()
    new_secret = logged_in_enrolled.session["careloop_totp_setup"]
    assert new_secret != SECRET and new_secret in page

    done = logged_in_enrolled.post(reverse("accounts:totp_replace"), {"code": code_at(step, new_secret)})
    assert done.status_code == 200 and "recovery-codes" in done.content.decode()
    enrolled.refresh_from_db()
    assert enrolled.totp_secret == new_secret and enrolled.totp_last_step == step
    assert AuditEntry.objects.filter(action="account.totp_replaced", actor=enrolled).count() == 1
    # the confirmation is used up with the change
    assert logged_in_enrolled.get(reverse("accounts:totp_replace")).status_code == 302


@pytest.mark.django_db
def test_the_code_used_to_log_in_cannot_confirm_a_replacement(enrolled):
    client = new_client()
    code = code_at(steady_step())
    password_then_code(client, enrolled, code)
    assert SESSION_KEY in client.session
    client.post(reverse("accounts:totp_setup"), {"password": PASSWORD, "code": code, "intent": "replace"})
    assert client.get(reverse("accounts:totp_replace")).status_code == 302


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite serializes writers; the row lock matters on PostgreSQL"
)
def test_the_same_code_sent_twice_at_once_passes_once(nurse):
    actions.do_enable_totp(nurse, SECRET, steady_step() - 5)
    code = code_at(steady_step())
    start = threading.Barrier(2)
    outcomes: list[str | None] = []

    def submit() -> None:
        start.wait()
        try:
            outcomes.append(actions.do_use_second_factor(User.objects.get(pk=nurse.pk), code, at_login=True))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes, key=str) == [None, "totp"]


def test_a_secret_no_key_opens_accepts_nothing():
    assert accepted_step(Undecryptable("gAAAA-corrupt"), code_at(STEP), T, None) is None


@pytest.mark.django_db
def test_an_undecryptable_secret_refuses_the_code_instead_of_failing(enrolled):
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {User._meta.db_table} SET totp_secret = %s WHERE id = %s", ["gAAAA-corrupt", enrolled.pk]
        )
    client = new_client()
    answer = password_then_code(client, enrolled, code_at(steady_step()))
    assert answer.status_code == 200 and SESSION_KEY not in client.session
