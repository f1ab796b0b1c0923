"""The headers every answer carries: Content-Security-Policy with a per-request nonce, and the others a
hospital's review (and `check --deploy`) asks for. Templates may not bring back an inline script."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

PACKAGE = Path(__file__).resolve().parent.parent / "careloop"


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.mark.django_db
def test_every_page_has_a_content_security_policy_without_inline_scripts(logged_in, nurse, patient):
    response = logged_in(nurse).get(reverse("patients:detail", args=[patient.pk]))
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    nonce = next(v for v in policy["script-src"] if v.startswith("'nonce-"))
    assert policy["script-src"] == ["'self'", nonce]  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    # The scripts of the page carry this response's nonce.
    html = response.content.decode()
    assert f'nonce="{nonce[7:-1]}"' in html


@pytest.mark.django_db
def test_the_nonce_is_new_for_every_response(client):
    first = directives(client.get(reverse("accounts:login"))["Content-Security-Policy"])["script-src"]
    second = directives(client.get(reverse("accounts:login"))["Content-Security-Policy"])["script-src"]
    assert first != second


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
    ],
)
def test_the_other_security_headers(client, header, expected):
    assert client.get(reverse("accounts:login"))[header] == expected


@pytest.mark.django_db
def test_browser_features_no_page_uses_are_refused(client):
    policy = client.get(reverse("accounts:login"))["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in policy


@pytest.mark.django_db
def test_error_pages_carry_the_policy_too(client):
    assert "frame-ancestors 'none'" in client.get("/no-such-page/")["Content-Security-Policy"]


TEMPLATES = sorted(PACKAGE.glob("**/templates/**/*.html"))
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)


@pytest.mark.parametrize("template", TEMPLATES, ids=[str(t.relative_to(PACKAGE)) for t in TEMPLATES])
def test_no_template_has_an_inline_script_or_event_handler(template):
    """The policy would block them: JavaScript goes into static files under careloop/static/careloop/."""
    text = template.read_text(encoding="utf-8")
    assert not INLINE_SCRIPT.search(text), INLINE_SCRIPT.search(text)
    assert not EVENT_HANDLER.search(text), EVENT_HANDLER.search(text)
    assert "javascript:" not in text.lower()
