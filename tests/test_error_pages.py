"""Error pages in the product's style and the user's language, never Django's bare English ones."""

import re

import pytest
from django.template.loader import get_template
from django.test import Client
from django.urls import reverse
from django.utils import translation

from careloop.patients.patient_tabs import TABS, Tab
from tests.factories import make_patient

LANGUAGES = [("zh-hans", "zh-hans"), ("en", "en")]
CJK = re.compile(r"[\u4e00-\u9fff]")


def in_language(language: str, msgid: str) -> str:
    with translation.override(language):
        return translation.gettext(msgid)


def title_of(html: str) -> str:
    found = re.search(r'<h1 id="error-title">(.*?)</h1>', html)
    assert found, html[:500]
    return found[1]


@pytest.mark.django_db
@pytest.mark.parametrize(("accept", "language"), LANGUAGES)
def test_a_missing_page_is_the_styled_404_in_the_users_language(logged_in, nurse, accept, language):
    response = logged_in(nurse).get("/patients/999999/", HTTP_ACCEPT_LANGUAGE=accept)
    html = response.content.decode()
    assert response.status_code == 404
    assert f'<html lang="{language}">' in html
    assert title_of(html) == in_language(language, "Page not found")
    assert 'data-status="404"' in html and 'class="topbar"' in html  # the product's frame, not Django's
    assert response.wsgi_request.request_id in html  # a reference to quote to support
    assert bool(CJK.search(title_of(html))) == (language == "zh-hans")


@pytest.mark.django_db
@pytest.mark.parametrize(("accept", "language"), LANGUAGES)
def test_a_refusal_by_require_is_the_styled_403(logged_in, receptionist, doctor, accept, language):
    """A receptionist does not read the clinical record: `require(Perm.RECORD_VIEW)` refuses the tab."""
    patient = make_patient(doctor)
    url = reverse("patients:tab", args=[patient.pk, "conditions"])
    response = logged_in(receptionist).get(url, HTTP_ACCEPT_LANGUAGE=accept)
    html = response.content.decode()
    assert response.status_code == 403
    assert f'<html lang="{language}">' in html
    assert title_of(html) == in_language(language, "Forbidden")
    assert 'data-status="403"' in html and 'id="error-home"' in html
    assert "record.view" not in html  # the internal permission code is not shown
    assert patient.name not in html
    assert bool(CJK.search(title_of(html))) == (language == "zh-hans")


@pytest.mark.django_db
def test_a_form_without_its_csrf_token_is_the_styled_403():
    response = Client(enforce_csrf_checks=True).post(reverse("accounts:login"), {"username": "x"})
    html = response.content.decode()
    assert response.status_code == 403
    assert 'data-status="403"' in html and 'class="topbar"' in html
    assert "CSRF verification failed" not in html and title_of(html) == in_language("zh-hans", "Forbidden")


@pytest.mark.django_db
def test_a_bad_request_is_the_styled_400(client, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    response = client.get("/login/", HTTP_HOST="evil.example")  # DisallowedHost answers 400
    html = response.content.decode()
    assert response.status_code == 400
    assert title_of(html) == in_language("zh-hans", "Bad request")


@pytest.fixture
def failing_summary_tab():
    """The patient page's first tab raising: the server error every page risks."""
    original = TABS["summary"]

    def broken(patient):
        raise RuntimeError("the database went away")

    TABS["summary"] = Tab(original.name, original.label, original.permission, original.template, broken)
    yield
    TABS["summary"] = original


@pytest.mark.django_db
@pytest.mark.parametrize(("accept", "language"), LANGUAGES)
def test_a_server_error_is_the_styled_500_in_the_users_language(
    client, nurse, failing_summary_tab, accept, language
):
    patient = make_patient(nurse, name="钱多多")
    client.force_login(nurse)
    client.raise_request_exception = False
    response = client.get(reverse("patients:detail", args=[patient.pk]), HTTP_ACCEPT_LANGUAGE=accept)
    html = response.content.decode()
    assert response.status_code == 500
    assert f'<html lang="{language}">' in html
    assert title_of(html) == in_language(language, "Server error")
    assert "database went away" not in html and "钱多多" not in html and "Traceback" not in html
    assert bool(CJK.search(title_of(html))) == (language == "zh-hans")


def test_the_500_page_renders_with_no_context_and_no_database():
    """Django renders 500.html with no request at all; the page must not need one (nor a query)."""
    html = get_template("500.html").render()
    assert 'data-status="500"' in html and "<script" not in html
