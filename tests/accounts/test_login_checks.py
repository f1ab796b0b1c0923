"""`careloop check --deploy` warns when administrators may skip the second factor and when the login
throttle's settings are absurd."""

import pytest

from careloop.accounts.checks import admin_second_factor_required, login_throttle_is_sensible
from tests.test_deploy_check import check_deploy, production_env


def ids(messages) -> list[str]:
    return [message.id for message in messages]


def test_admin_second_factor_off_is_a_warning(settings):
    settings.REQUIRE_ADMIN_2FA = False
    assert ids(admin_second_factor_required(None)) == ["careloop.W101"]
    settings.REQUIRE_ADMIN_2FA = True
    assert admin_second_factor_required(None) == []


def test_default_throttle_settings_pass():
    assert login_throttle_is_sensible(None) == []


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("LOGIN_MAX_FAILURES", 21),
        ("LOGIN_MAX_FAILURES", 0),
        ("LOGIN_ACCOUNT_MAX_FAILURES", 100),
        ("LOGIN_NETWORK_MAX_FAILURES", 100_000),
        ("LOGIN_BACKOFF_SECONDS", 0),
        ("LOGIN_BACKOFF_MAX_SECONDS", 2 * 86400),
        ("LOGIN_ACCOUNT_BACKOFF_MAX_SECONDS", 0),
        ("LOGIN_ACCOUNT_BACKOFF_MAX_SECONDS", 7200),  # longer than the strong throttle's longest wait
    ],
)
def test_absurd_throttle_settings_are_warnings(settings, setting, value):
    setattr(settings, setting, value)
    assert set(ids(login_throttle_is_sensible(None))) == {"careloop.W102"}


def test_the_old_lockout_variable_is_reported_as_unread(monkeypatch):
    monkeypatch.setenv("CARELOOP_LOGIN_LOCKOUT_MINUTES", "15")
    assert ids(login_throttle_is_sensible(None)) == ["careloop.W103"]


def test_check_deploy_reports_both_from_the_environment():
    result = check_deploy(
        production_env(CARELOOP_REQUIRE_ADMIN_2FA="false", CARELOOP_LOGIN_MAX_FAILURES="50")
    )
    assert result.returncode != 0
    assert "careloop.W101" in result.stderr
    assert "careloop.W102" in result.stderr and "before a wait is 50" in result.stderr
