"""System checks for CareLoop's own settings; run with `careloop check` (and --deploy)."""

import os
from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet
from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register


@register("careloop")
def field_keys_are_usable(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    for position, key in enumerate(settings.FIELD_KEYS, start=1):
        try:
            Fernet(key.encode())
        except ValueError:
            problems.append(
                Error(
                    f"CARELOOP_FIELD_KEYS entry {position} is not a valid key "
                    "(32 url-safe base64-encoded bytes).",
                    hint="Make one with: python -c "
                    '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"',
                    id="careloop.E001",
                )
            )
    if len(settings.INDEX_KEY) < 32:
        problems.append(Error("CARELOOP_INDEX_KEY must be at least 32 characters.", id="careloop.E002"))
    return problems


@register("careloop", deploy=True)
def production_database(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        return [
            Warning(
                "The database is SQLite; production with several users should use PostgreSQL (DATABASE_URL).",
                id="careloop.W001",
            )
        ]
    return []


@register("careloop", deploy=True)
def admin_second_factor_required(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    if settings.REQUIRE_ADMIN_2FA:
        return []
    return [
        Warning(
            "CARELOOP_REQUIRE_ADMIN_2FA is off: administrators and installation superusers can log in with "
            "a password alone.",
            hint="Unset it (it defaults to true outside debug mode) or set CARELOOP_REQUIRE_ADMIN_2FA=true.",
            id="careloop.W101",
        )
    ]


@register("careloop", deploy=True)
def login_throttle_is_sensible(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    from careloop.accounts import throttle
    from careloop.accounts.login_throttle import policies

    rules = policies()
    problems: list[CheckMessage] = [
        Warning(
            f"Login throttling: {problem}.",
            hint="See the CARELOOP_LOGIN_* variables in docs/deploy.md.",
            id="careloop.W102",
        )
        for problem in throttle.policy_problems(rules["account_network"], rules["account"], rules["network"])
    ]
    if "CARELOOP_LOGIN_LOCKOUT_MINUTES" in os.environ:
        problems.append(
            Warning(
                "CARELOOP_LOGIN_LOCKOUT_MINUTES is no longer read: failed logins are throttled with "
                "exponential back-off instead of a fixed lock.",
                hint="Remove it; see CARELOOP_LOGIN_BACKOFF_SECONDS and the variables beside it in "
                "docs/deploy.md.",
                id="careloop.W103",
            )
        )
    return problems
