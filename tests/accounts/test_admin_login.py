"""One login path: the Django admin's login authenticates nothing and sends to CareLoop's login, so the
admin gets the same second factor, throttling and audit."""

from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import resolve, reverse

from careloop.accounts import actions, login_views
from careloop.accounts.models import AuditEntry, User
from careloop.accounts.totp import time_step
from tests.accounts.test_totp_replay import steady_step
from tests.factories import PASSWORD

SECRET = pyotp.random_base32()
ADMIN_LOGIN = "/admin/login/"


@pytest.fixture
def root(db):
    return User.objects.create_superuser(username="root", password=PASSWORD, email="")


@pytest.fixture
def root_with_totp(root):
    actions.do_enable_totp(root, SECRET, time_step(0))
    return root


def target(response) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(response["Location"])
    return parts.path, parse_qs(parts.query)


def test_the_admin_login_url_is_careloops_route():
    assert resolve(ADMIN_LOGIN).func is login_views.admin_login_view
    assert reverse("admin:login") == ADMIN_LOGIN  # what the admin itself redirects to


@pytest.mark.django_db
def test_admin_login_page_redirects_to_careloops_login():
    response = Client().get(ADMIN_LOGIN)
    assert response.status_code == 302
    assert target(response) == (reverse("accounts:login"), {"next": ["/admin/"]})


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("next_url", "kept"),
    [
        ("/admin/accounts/user/", "/admin/accounts/user/"),
        ("https://evil.example/", "/admin/"),
        ("//evil.example/admin/", "/admin/"),
    ],
)
def test_admin_login_keeps_a_local_next_only(next_url, kept):
    response = Client().get(ADMIN_LOGIN, {"next": next_url})
    assert target(response) == (reverse("accounts:login"), {"next": [kept]})


@pytest.mark.django_db
def test_the_admin_sends_an_anonymous_visitor_to_careloops_login():
    response = Client().get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("accounts:login"))
    assert response.status_code == 200 and 'id="login-submit"' in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("enrolled", [False, True])
def test_a_right_password_posted_to_the_admin_login_gives_no_session(root, enrolled):
    if enrolled:
        actions.do_enable_totp(root, SECRET, time_step(0))
    client = Client()
    response = client.post(ADMIN_LOGIN, {"username": "root", "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302
    assert SESSION_KEY not in client.session
    assert client.get("/admin/").status_code == 302
    assert not AuditEntry.objects.filter(action="login").exists()


@pytest.mark.django_db
def test_a_throttled_account_gets_nothing_through_the_admin_login(root, settings):
    settings.LOGIN_MAX_FAILURES = 2
    client = Client()
    for _ in range(2):
        client.post(reverse("accounts:login"), {"username": "root", "password": "wrong"})
    client.post(ADMIN_LOGIN, {"username": "root", "password": PASSWORD})
    client.post(reverse("accounts:login"), {"username": "root", "password": PASSWORD})
    assert SESSION_KEY not in client.session


@pytest.mark.django_db
def test_superuser_reaches_the_admin_through_password_and_code(root_with_totp):
    client = Client()
    login = client.get(ADMIN_LOGIN)["Location"]
    step = client.post(login, {"username": "root", "password": PASSWORD})
    assert target(step) == (reverse("accounts:totp_verify"), {"next": ["/admin/"]})
    assert SESSION_KEY not in client.session
    done = client.post(step["Location"], {"code": pyotp.TOTP(SECRET).at(steady_step() * 30)})
    assert done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    entry = AuditEntry.objects.get(action="login", actor=root_with_totp)
    assert entry.detail == {"second_factor": "totp"}


@pytest.mark.django_db
def test_admin_logout_is_careloops_audited_logout(root):
    client = Client()
    client.force_login(root)
    response = client.post("/admin/logout/")
    assert response["Location"] == reverse("accounts:login")
    assert SESSION_KEY not in client.session
    assert AuditEntry.objects.filter(action="logout", actor=root).exists()
