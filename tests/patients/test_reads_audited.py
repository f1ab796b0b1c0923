"""Every answer that shows a patient writes an audit entry naming that patient.

The walk takes every URL with a patient in it from the resolver (`tests/urlwalk.py`), so a page added
later cannot escape it: a GET and a refused POST (no data), each plain and as htmx, by an administrator
(who may use every page). An answer "shows the patient" when the patient's name is in it.
"""

import pytest
from django.test import Client
from django.urls import reverse

from careloop.accounts.models import AuditEntry
from careloop.accounts.roles import Role
from tests.factories import make_organization
from tests.urlwalk import populate, staff, url_cases

PATIENT_CASES = [case for case in url_cases() if "patient_id" in case.route.params]
VARIANTS = [
    ("get", {}),
    ("get", {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "tab-panel"}),
    ("post", {}),
    ("post", {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "tab-panel"}),
]


def entries_for(patient_id: int) -> int:
    return AuditEntry.objects.filter(patient_id=patient_id).count()


def test_the_walk_reaches_the_patient_pages():
    names = {case.route.name for case in PATIENT_CASES}
    assert {"patients:detail", "patients:tab", "patients:edit", "patients:family_edit"} <= names


@pytest.mark.django_db
@pytest.mark.parametrize("case", PATIENT_CASES, ids=[case.id for case in PATIENT_CASES])
def test_every_answer_that_shows_the_patient_is_audited(case):
    world = populate(make_organization(), "审")
    patient = world.patient
    client = Client()
    client.force_login(staff(world.organization, Role.ADMIN, is_staff=True))
    for method, headers in VARIANTS:
        before = entries_for(patient.pk)
        response = getattr(client, method)(case.url(world), **headers)
        shown = patient.name in response.content.decode(errors="replace")
        where = f"{method.upper()} {case.url(world)} {headers}: {response.status_code}"
        if shown:
            assert entries_for(patient.pk) > before, f"{where} shows the patient without an audit entry"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url_name", "extra", "method", "section"),
    [
        ("patients:edit", [], "get", "edit"),
        ("patients:edit", [], "post", "edit"),  # refused: the form with its errors shows the patient again
        ("patients:family_edit", ["link"], "get", "family"),
        ("patients:family_add", [], "post", "family"),
        ("patients:consent_record", [], "post", "consent"),
        ("patients:card_issue", [], "post", "cards"),
        ("patients:record:add", ["conditions"], "get", "conditions.add"),
        ("patients:record:add", ["conditions"], "post", "conditions.add"),
    ],
)
def test_forms_and_refused_forms_that_show_a_patient_are_read_entries(url_name, extra, method, section):
    world = populate(make_organization(), "审")
    args = [world.patient.pk, *[world.family_link.pk if e == "link" else e for e in extra]]
    client = Client()
    client.force_login(staff(world.organization, Role.ADMIN, is_staff=True))
    response = getattr(client, method)(
        reverse(url_name, args=args), {"name": ""} if method == "post" else None
    )
    assert response.status_code in (200, 400)
    entry = AuditEntry.objects.filter(patient_id=world.patient.pk, action="patient.view").latest("id")
    assert entry.detail == {"section": section}
