"""Login security: the password step, TOTP second factor, forced enrolment for administrators, idle sessions,
Argon2. Throttling is in test_login_throttle.py, code replay in test_totp_replay.py."""

import datetime

import pyotp
import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from careloop.accounts.models import AuditEntry, User
from tests.factories import PASSWORD, make_user

SECRET = pyotp.random_base32()
WRONG = "Wrong username or password, or too many failed attempts."
TOO_MANY = "Too many failed attempts."


@pytest.fixture
def en_client():
    return Client(headers={"Accept-Language": "en"})


def login(client, user, password=PASSWORD):
    return client.post(reverse("accounts:login"), {"username": user.username, "password": password})


def logged_in_as(client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value else None


def wrong_code(secret: str) -> str:
    """A six-digit code that is not valid now or in the neighbouring time steps."""
    totp, now = pyotp.TOTP(secret), timezone.now()
    valid = {totp.at(now + datetime.timedelta(seconds=30 * step)) for step in (-2, -1, 0, 1, 2)}
    return next(
        code for code in ("000000", "111111", "222222", "333333", "444444", "555555") if code not in valid
    )


@pytest.fixture
def enrolled(nurse):
    nurse.totp_secret = SECRET
    nurse.totp_confirmed = True
    nurse.save(update_fields=["totp_secret", "totp_confirmed"])
    return nurse


@pytest.mark.django_db
def test_right_password_logs_in(en_client, nurse):
    response = login(en_client, nurse)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert logged_in_as(en_client) == nurse.pk
    assert AuditEntry.objects.filter(action="login", actor=nurse).count() == 1


@pytest.mark.django_db
def test_unknown_user_gets_the_same_message_as_a_wrong_password(en_client, nurse):
    unknown = en_client.post(reverse("accounts:login"), {"username": "nobody", "password": "x"})
    wrong = login(en_client, nurse, "not-the-password")
    assert WRONG in unknown.content.decode() and WRONG in wrong.content.decode()
    assert logged_in_as(en_client) is None


@pytest.mark.django_db
def test_enrolled_user_must_pass_the_code_step(en_client, enrolled):
    response = login(en_client, enrolled)
    assert response["Location"] == reverse("accounts:totp_verify")
    assert logged_in_as(en_client) is None
    assert en_client.get(reverse("patients:list")).status_code == 302  # not in yet

    response = en_client.post(reverse("accounts:totp_verify"), {"code": pyotp.TOTP(SECRET).now()})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert logged_in_as(en_client) == enrolled.pk


@pytest.mark.django_db
def test_code_step_needs_the_password_step_first(en_client, enrolled):
    response = en_client.post(reverse("accounts:totp_verify"), {"code": pyotp.TOTP(SECRET).now()})
    assert response["Location"] == reverse("accounts:login")
    assert logged_in_as(en_client) is None


@pytest.mark.django_db
def test_wrong_code_counts_as_a_failure_and_throttles(en_client, settings, enrolled):
    settings.LOGIN_MAX_FAILURES = 2
    login(en_client, enrolled)
    page = en_client.post(reverse("accounts:totp_verify"), {"code": wrong_code(SECRET)}).content.decode()
    assert "That code is not right." in page
    enrolled.refresh_from_db()
    assert enrolled.failed_logins == 1
    assert AuditEntry.objects.get(action="login.failed").detail == {"reason": "second_factor"}

    page = en_client.post(reverse("accounts:totp_verify"), {"code": wrong_code(SECRET)}).content.decode()
    assert TOO_MANY in page
    en_client.post(reverse("accounts:totp_verify"), {"code": pyotp.TOTP(SECRET).now()})
    assert logged_in_as(en_client) is None


@pytest.fixture
def admin_2fa_required(settings):
    settings.REQUIRE_ADMIN_2FA = True


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", [reverse("patients:list"), reverse("accounts:audit"), reverse("patients:register")]
)
def test_admin_without_second_factor_is_sent_to_setup(en_client, admin_2fa_required, admin_user, path):
    login(en_client, admin_user)
    response = en_client.get(path)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:totp_setup")


@pytest.mark.django_db
def test_an_audit_reviewer_without_second_factor_is_sent_to_setup(en_client, admin_2fa_required, auditor):
    login(en_client, auditor)
    response = en_client.get(reverse("accounts:audit"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:totp_setup")


@pytest.mark.django_db
def test_other_roles_are_not_forced_to_enrol(en_client, admin_2fa_required, nurse):
    login(en_client, nurse)
    assert en_client.get(reverse("patients:list")).status_code == 200


@pytest.mark.django_db
def test_admin_enrols_with_a_valid_code_and_then_gets_in(en_client, admin_2fa_required, admin_user):
    login(en_client, admin_user)
    page = en_client.get(reverse("accounts:totp_setup"))
    assert page.status_code == 200
    secret = en_client.session["careloop_totp_setup"]
    assert secret in page.content.decode() and "<svg" in page.content.decode()

    wrong = en_client.post(reverse("accounts:totp_setup"), {"code": wrong_code(secret)})
    assert "That code is not right" in wrong.content.decode()
    admin_user.refresh_from_db()
    assert not admin_user.totp_confirmed

    done = en_client.post(reverse("accounts:totp_setup"), {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200 and "recovery-codes" in done.content.decode()  # shown once, then onwards
    admin_user.refresh_from_db()
    assert admin_user.totp_confirmed and admin_user.totp_secret == secret
    assert en_client.get(reverse("patients:list")).status_code == 200
    assert AuditEntry.objects.filter(action="account.totp_enabled", actor=admin_user).exists()

    en_client.post(reverse("accounts:logout"))
    assert login(en_client, admin_user)["Location"] == reverse("accounts:totp_verify")


def test_sessions_expire_after_idle_time_counted_from_the_last_request(settings):
    # Saved at most once a minute, not on every request (tests/accounts/test_session_refresh.py).
    assert settings.SESSION_SAVE_EVERY_REQUEST is False
    assert "careloop.accounts.middleware.SessionRefreshMiddleware" in settings.MIDDLEWARE
    assert settings.SESSION_REFRESH_SECONDS == 60
    assert settings.SESSION_COOKIE_AGE == 30 * 60


@pytest.mark.django_db
def test_each_request_pushes_the_session_expiry_forward(en_client, nurse, settings):
    settings.SESSION_REFRESH_SECONDS = 0  # every request is a refresh's minute later
    login(en_client, nurse)
    key = en_client.session.session_key
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + datetime.timedelta(minutes=1))
    assert en_client.get(reverse("patients:list")).status_code == 200
    expires = Session.objects.get(session_key=key).expire_date
    assert expires > timezone.now() + datetime.timedelta(minutes=29)


@pytest.mark.django_db
def test_request_after_idle_expiry_goes_to_login(en_client, nurse):
    login(en_client, nurse)
    assert en_client.get(reverse("patients:list")).status_code == 200
    Session.objects.filter(session_key=en_client.session.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = en_client.get(reverse("patients:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db
def test_passwords_are_hashed_with_argon2(org):
    user = make_user(org, "doctor")
    assert user.password.startswith("argon2$argon2id$")
    assert PASSWORD not in user.password
    assert user.check_password(PASSWORD)


@pytest.mark.django_db
def test_older_hash_is_upgraded_to_argon2_at_login(en_client, org):
    user = make_user(org, "nurse")
    from django.contrib.auth.hashers import make_password

    User.objects.filter(pk=user.pk).update(password=make_password(PASSWORD, hasher="pbkdf2_sha256"))
    assert login(en_client, user).status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2")
