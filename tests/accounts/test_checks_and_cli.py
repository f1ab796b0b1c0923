"""CareLoop's own system checks and the `careloop` console command, in process."""

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from careloop import cli
from careloop.accounts.checks import field_keys_are_usable, production_database


def test_usable_keys_pass(settings):
    settings.FIELD_KEYS = [Fernet.generate_key().decode(), Fernet.generate_key().decode()]
    settings.INDEX_KEY = "i" * 32
    assert field_keys_are_usable(None) == []


def test_a_bad_field_key_is_named_by_its_position_and_a_short_index_key_is_refused(settings):
    settings.FIELD_KEYS = [Fernet.generate_key().decode(), "not-a-key"]
    settings.INDEX_KEY = "short"
    problems = field_keys_are_usable(None)
    assert [p.id for p in problems] == ["careloop.E001", "careloop.E002"]
    assert "entry 2" in problems[0].msg
    assert "Fernet.generate_key()" in (problems[0].hint or "")


@pytest.mark.parametrize(
    ("engine", "warned"),
    [("django.db.backends.sqlite3", ["careloop.W001"]), ("django.db.backends.postgresql", [])],
)
def test_sqlite_in_production_is_warned_about(monkeypatch, engine, warned):
    from django.conf import settings

    # The entry only, for the check to read: overriding DATABASES whole would reach the open connection.
    monkeypatch.setitem(settings.DATABASES["default"], "ENGINE", engine)
    assert [w.id for w in production_database(None)] == warned


@pytest.fixture
def commands(monkeypatch):
    """What the console command hands to Django, instead of running it."""
    ran: list[list[str]] = []
    monkeypatch.setattr("django.core.management.execute_from_command_line", ran.append)
    return ran


@pytest.mark.parametrize(
    ("typed", "run"),
    [
        (["careloop", "worker"], ["careloop", "worker"]),  # the task worker and the sealer
        (["careloop", "rotate-keys", "--dry-run"], ["careloop", "rotate_keys", "--dry-run"]),
        (["careloop", "migrate"], ["careloop", "migrate"]),
        (["careloop"], ["careloop"]),
    ],
)
def test_friendly_names_reach_djangos_commands(commands, typed, run):
    assert cli.main(typed) == 0
    assert commands == [run]


def test_a_configuration_mistake_is_a_message_and_exit_status_2(monkeypatch, capsys):
    def misconfigured(argv):
        raise ImproperlyConfigured("CARELOOP_SECRET_KEY is not set; see docs/deploy.md")

    monkeypatch.setattr("django.core.management.execute_from_command_line", misconfigured)
    assert cli.main(["careloop", "serve"]) == 2
    error = capsys.readouterr().err
    assert error == "careloop: configuration error: CARELOOP_SECRET_KEY is not set; see docs/deploy.md\n"
