"""Recovery codes: ten one-time codes, stored as digests, shown once, usable at the login's code step and to
confirm a change of the second factor; each use audited, renewal behind the password and a code."""

import re

import pyotp
import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from careloop.accounts import actions, recoverycodes
from careloop.accounts.models import AuditEntry, RecoveryCode
from careloop.accounts.totp import time_step
from tests.accounts.test_totp_replay import steady_step
from tests.factories import PASSWORD

SECRET = pyotp.random_base32()
CODE_SHAPE = re.compile(r"^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$")


def test_new_codes_are_ten_distinct_codes_of_80_bits():
    codes = recoverycodes.new_codes()
    assert len(codes) == 10 == len(set(codes))
    assert all(CODE_SHAPE.match(code) for code in codes)
    assert len(recoverycodes.ALPHABET) == 32 and recoverycodes.LENGTH * 5 == 80


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("7k2m-9xq4-a0b1-zzzz", "7k2m9xq4a0b1zzzz"),
        ("7K2M 9XQ4 A0B1 ZZZZ", "7k2m9xq4a0b1zzzz"),
        ("  7k2m9xq4a0b1zzzz\n", "7k2m9xq4a0b1zzzz"),
        ("7k2m-9xq4-aob1-zzzz", "7k2m9xq4a0b1zzzz"),  # o reads as 0
        ("7k2m-9xq4-a0bl-zzzz", "7k2m9xq4a0b1zzzz"),  # l reads as 1
        ("7k2m-9xq4-a0bI-zzzz", "7k2m9xq4a0b1zzzz"),  # I reads as 1
        ("7k2m-9xq4-a0b1-zzz", None),  # too short
        ("7k2m-9xq4-a0b1-zzzzz", None),  # too long
        ("7k2m-9xq4-a0b1-zzzu", None),  # u is not in the alphabet
        ("123456", None),  # a TOTP code
        ("", None),
    ],
)
def test_normalize(typed, normalized):
    assert recoverycodes.normalize(typed) == normalized


def test_digests_differ_between_users():
    assert recoverycodes.digest(1, "7k2m9xq4a0b1zzzz") != recoverycodes.digest(2, "7k2m9xq4a0b1zzzz")


@pytest.fixture
def enrolled_with_codes(nurse):
    codes = actions.do_enable_totp(nurse, SECRET, time_step(0))
    nurse.refresh_from_db()
    return nurse, codes


def code_step(client: Client, user, code: str):
    client.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD})
    return client.post(reverse("accounts:totp_verify"), {"code": code}, follow=True)


@pytest.mark.django_db
def test_enrolment_shows_ten_codes_once_and_stores_only_digests(en_client_logged_in):
    client, user = en_client_logged_in
    client.get(reverse("accounts:totp_setup"))
    secret = client.session["careloop_totp_setup"]
    page = client.post(reverse("accounts:totp_setup"), {"code": pyotp.TOTP(secret).now()}).content.decode()
    shown = re.findall(r"<li>([0-9a-z-]{19})</li>", page)
    assert len(shown) == 10
    stored = list(RecoveryCode.objects.filter(user=user).values_list("digest", flat=True))
    assert sorted(stored) == sorted(
        recoverycodes.digest(user.pk, recoverycodes.normalize(c) or "") for c in shown
    )
    assert not any(code in digest for code in shown for digest in stored)
    later = client.get(reverse("accounts:totp_setup")).content.decode()
    assert "10 of 10 recovery codes left." in later
    assert not any(code in later for code in shown)
    audit = AuditEntry.objects.get(action="account.totp_enabled", actor=user)
    assert audit.detail == {"recovery_codes": 10}


@pytest.fixture
def en_client_logged_in(nurse):
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(nurse)
    return client, nurse


@pytest.mark.django_db
def test_a_recovery_code_logs_in_once_and_is_audited(enrolled_with_codes):
    user, codes = enrolled_with_codes
    first = Client(headers={"Accept-Language": "en"})
    page = code_step(first, user, codes[3].upper().replace("-", " ")).content.decode()
    assert SESSION_KEY in first.session
    assert "You logged in with a recovery code; 9 are left." in page
    used = AuditEntry.objects.get(action="login.recovery_code_used", actor=user)
    assert used.detail == {"left": 9}
    assert AuditEntry.objects.get(action="login", actor=user).detail == {"second_factor": "recovery_code"}

    again = Client(headers={"Accept-Language": "en"})
    code_step(again, user, codes[3])
    assert SESSION_KEY not in again.session
    assert AuditEntry.objects.filter(
        action="login.failed", actor=user, detail__reason="second_factor"
    ).exists()


@pytest.mark.django_db
def test_another_users_code_does_not_work(enrolled_with_codes, doctor):
    _user, codes = enrolled_with_codes
    actions.do_enable_totp(doctor, pyotp.random_base32(), time_step(0))
    client = Client()
    code_step(client, doctor, codes[0])
    assert SESSION_KEY not in client.session


@pytest.mark.django_db
def test_renewal_needs_password_and_code_and_voids_the_old_codes(enrolled_with_codes):
    user, codes = enrolled_with_codes
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    refused = client.post(
        reverse("accounts:totp_setup"), {"password": "wrong", "code": codes[0], "intent": "recovery_codes"}
    )
    assert "The password or the code is not right." in refused.content.decode()
    assert not AuditEntry.objects.filter(action="account.recovery_codes_regenerated").exists()

    page = client.post(
        reverse("accounts:totp_setup"),
        {"password": PASSWORD, "code": pyotp.TOTP(SECRET).at(steady_step() * 30), "intent": "recovery_codes"},
    ).content.decode()
    new = re.findall(r"<li>([0-9a-z-]{19})</li>", page)
    assert len(new) == 10 and not set(new) & set(codes)
    assert AuditEntry.objects.get(action="account.recovery_codes_regenerated", actor=user).detail == {
        "recovery_codes": 10
    }
    old = Client()
    code_step(old, user, codes[5])
    assert SESSION_KEY not in old.session
    fresh = Client()
    code_step(fresh, user, new[5])
    assert SESSION_KEY in fresh.session


@pytest.mark.django_db
def test_a_recovery_code_confirms_a_replacement_when_the_phone_is_lost(enrolled_with_codes):
    user, codes = enrolled_with_codes
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    confirmed = client.post(
        reverse("accounts:totp_setup"), {"password": PASSWORD, "code": codes[1], "intent": "replace"}
    )
    assert confirmed["Location"] == reverse("accounts:totp_replace")
    assert AuditEntry.objects.get(action="account.recovery_code_used", actor=user).detail == {"left": 9}
    page = client.get(reverse("accounts:totp_setup")).content.decode()
    assert "9 of 10 recovery codes left." in page


@pytest.mark.django_db
def test_few_codes_left_is_pointed_out(enrolled_with_codes):
    user, _codes = enrolled_with_codes
    RecoveryCode.objects.filter(pk__in=list(user.recovery_codes.values_list("pk", flat=True)[:8])).update(
        used_at="2026-01-01T00:00:00Z"
    )
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    page = client.get(reverse("accounts:totp_setup")).content.decode()
    assert "2 of 10 recovery codes left." in page and "Make new recovery codes before they run out." in page
