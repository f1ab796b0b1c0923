"""The organization's protocol pages (protocol_views.py): the list, one protocol with its sources, the
switch."""

import pytest
from django.urls import reverse

from careloop.accounts.models import AuditEntry
from careloop.followup.actions import do_enrol, do_install_shipped
from careloop.followup.models import Protocol
from tests.factories import make_organization, make_patient, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def installed(org):
    return {p.key: p for p in do_install_shipped(org)}


def test_the_list_shows_each_protocols_current_version_status_and_open_enrolments(
    logged_in, admin_user, doctor, installed
):
    hypertension = installed["hypertension"]
    do_enrol(doctor, make_patient(doctor), hypertension, hypertension.created_at.date())
    response = logged_in(admin_user).get(reverse("staff:protocols"))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert {row.protocol.key for row in rows} == set(installed)
    by_key = {row.protocol.key: row for row in rows}
    assert by_key["hypertension"].open_enrolments == 1
    assert by_key["post-discharge"].steps == 3
    assert (
        'id="protocol-post-discharge" data-key="post-discharge" data-status="draft"'
        in response.content.decode()
    )


def test_the_administration_tabs_link_to_the_protocols(logged_in, org, admin_user):
    page = logged_in(admin_user).get(reverse("staff:list"))
    assert reverse("staff:protocols") in page.content.decode()


def test_a_protocol_with_a_low_confidence_source_asks_to_be_confirmed(logged_in, admin_user, installed):
    low = logged_in(admin_user).get(reverse("staff:protocol", args=[installed["post-discharge"].pk]))
    body = low.content.decode()
    assert 'id="confirm-notice"' in body
    assert body.count('class="source-row" data-confidence="low"') == 5
    assert body.count('class="protocol-step" data-step=') == 3
    assert "DIS-D" in body and "followup-norms §6" in body
    sure = logged_in(admin_user).get(reverse("staff:protocol", args=[installed["hypertension"].pk]))
    assert 'id="confirm-notice"' not in sure.content.decode()


def test_switching_on_and_off_is_audited(logged_in, admin_user, installed):
    protocol = installed["post-discharge"]
    client = logged_in(admin_user)
    url = reverse("staff:protocol_status", args=[protocol.pk])
    assert client.post(url, {"status": "active"}).status_code == 302
    protocol.refresh_from_db()
    assert protocol.status == "active"
    entry = AuditEntry.objects.filter(action="protocol.status").latest("id")
    assert entry.detail["status"] == ["draft", "active"] and entry.actor_id == admin_user.pk
    client.post(url, {"status": "draft"})
    protocol.refresh_from_db()
    assert protocol.status == "draft"


def test_a_protocol_without_steps_is_not_switched_on(logged_in, admin_user, installed):
    empty = installed["post-surgery"]
    logged_in(admin_user).post(reverse("staff:protocol_status", args=[empty.pk]), {"status": "active"})
    empty.refresh_from_db()
    assert empty.status == "draft"


def test_an_unknown_status_changes_nothing(logged_in, admin_user, installed):
    protocol = installed["post-discharge"]
    logged_in(admin_user).post(reverse("staff:protocol_status", args=[protocol.pk]), {"status": "x"})
    protocol.refresh_from_db()
    assert protocol.status == "draft"


def test_another_organizations_protocol_is_not_found(logged_in, admin_user, installed):
    theirs = next(p for p in do_install_shipped(make_organization("别家")) if p.key == "post-discharge")
    client = logged_in(admin_user)
    assert client.get(reverse("staff:protocol", args=[theirs.pk])).status_code == 404
    response = client.post(reverse("staff:protocol_status", args=[theirs.pk]), {"status": "active"})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "draft"


@pytest.mark.parametrize("role", ["doctor", "nurse", "receptionist", "auditor"])
def test_only_those_who_manage_protocols_open_the_pages(logged_in, org, installed, role):
    client = logged_in(make_user(org, role))
    protocol = installed["post-discharge"]
    assert client.get(reverse("staff:protocols")).status_code == 403
    assert client.get(reverse("staff:protocol", args=[protocol.pk])).status_code == 403
    assert (
        client.post(reverse("staff:protocol_status", args=[protocol.pk]), {"status": "active"}).status_code
        == 403
    )


def test_install_puts_the_shipped_protocols_in_place(logged_in, org, admin_user):
    assert logged_in(admin_user).post(reverse("staff:protocols_install")).status_code == 302
    assert Protocol.objects.filter(organization=org).count() == 6
