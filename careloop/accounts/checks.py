"""System checks for CareLoop's own settings; run with `careloop check` (and --deploy)."""

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
