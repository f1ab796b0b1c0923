"""Who and where the audit trail records for a request: the client address and request id believed from
trusted proxies only, and only ever a valid IP address."""

import uuid

import pytest
from django.urls import reverse

from careloop.accounts.models import AuditEntry

FORGED = "<script>x</script>"


def view_as(client, patient, **extra):
    response = client.get(reverse("patients:detail", args=[patient.pk]), **extra)
    assert response.status_code == 200
    return AuditEntry.objects.filter(action="patient.view").order_by("-id").first(), response


@pytest.fixture
def behind_proxy(settings):
    """The production set-up issue 21 probed: CARELOOP_BEHIND_PROXY=true, the proxy in 10.0.0.0/8."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]


@pytest.mark.django_db
def test_a_forged_forwarded_for_from_a_client_is_ignored(logged_in, nurse, patient, behind_proxy):
    entry, _ = view_as(logged_in(nurse), patient, REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=FORGED)
    assert entry.ip == "203.0.113.7"


@pytest.mark.django_db
def test_a_script_in_forwarded_for_is_never_stored_even_from_a_trusted_proxy(
    logged_in, nurse, patient, behind_proxy
):
    entry, _ = view_as(logged_in(nurse), patient, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=FORGED)
    assert entry.ip == "10.0.0.2"
    assert not AuditEntry.objects.filter(ip__contains="<").exists()


@pytest.mark.django_db
def test_behind_a_trusted_proxy_the_client_is_the_hop_the_proxy_appended(
    logged_in, nurse, patient, behind_proxy
):
    entry, _ = view_as(
        logged_in(nurse), patient, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.20"
    )
    assert entry.ip == "198.51.100.20"


@pytest.mark.django_db
def test_without_trusted_proxies_forwarded_for_is_never_believed(logged_in, nurse, patient, settings):
    settings.TRUSTED_PROXIES = []
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # CARELOOP_BEHIND_PROXY alone
    entry, _ = view_as(
        logged_in(nurse), patient, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.20"
    )
    assert entry.ip == "10.0.0.2"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("peer", "supplied", "kept"),
    [
        ("10.0.0.2", "5b0e3b2f9d8c4a1e8f7d6c5b4a392817", True),
        ("203.0.113.7", "5b0e3b2f9d8c4a1e8f7d6c5b4a392817", False),
        ("10.0.0.2", FORGED, False),
        ("10.0.0.2", "5b0e3b2f9d8c4a1e8f7d6c5b4a392817\n", False),
    ],
)
def test_a_request_id_is_kept_only_from_a_trusted_proxy_in_the_strict_format(
    logged_in, nurse, patient, behind_proxy, peer, supplied, kept
):
    entry, response = view_as(logged_in(nurse), patient, REMOTE_ADDR=peer, HTTP_X_REQUEST_ID=supplied)
    assert response["X-Request-ID"] == entry.request_id
    if kept:
        assert entry.request_id == supplied
    else:
        assert entry.request_id != supplied
        assert uuid.UUID(entry.request_id).version == 4
