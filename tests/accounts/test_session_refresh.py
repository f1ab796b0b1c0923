"""Sessions are not written on every page view; the idle timeout still ends idle sessions, not busy ones."""

import time

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

SESSIONS = Session._meta.db_table


def session_writes(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return sum(1 for q in queries if q["sql"].split()[0] in {"INSERT", "UPDATE"} and SESSIONS in q["sql"])


@pytest.mark.django_db
def test_page_views_within_a_minute_write_the_session_once(logged_in, nurse):
    client = logged_in(nurse)
    url = reverse("patients:list")
    assert [session_writes(client, url) for _ in range(5)] == [1, 0, 0, 0, 0]


@pytest.mark.django_db
def test_the_session_is_written_again_once_the_refresh_interval_has_passed(logged_in, nurse, settings):
    settings.SESSION_REFRESH_SECONDS = 0.3
    client = logged_in(nurse)
    url = reverse("patients:list")
    assert session_writes(client, url) == 1
    assert session_writes(client, url) == 0
    time.sleep(0.35)
    assert session_writes(client, url) == 1


@pytest.mark.django_db
def test_an_idle_session_expires_and_an_active_one_does_not(client, nurse, settings):
    settings.SESSION_COOKIE_AGE = 2
    settings.SESSION_REFRESH_SECONDS = 0.5
    url = reverse("patients:list")
    idle = client.__class__()
    for browser in (client, idle):
        browser.force_login(nurse)
        assert browser.get(url).status_code == 200
    started = time.monotonic()
    while time.monotonic() - started < 3.5:  # longer than the idle timeout, a request every 0.4 s
        assert client.get(url).status_code == 200
        time.sleep(0.4)
    assert idle.get(url).status_code == 302  # back to the login page
    assert client.get(url).status_code == 200
