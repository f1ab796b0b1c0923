"""Another organization's patients do not exist for a user: every patient URL is 404, lists never show them.

The URLs are read from the project's resolver, so a patient URL added later is covered without editing
this file. Its other parts are filled with real objects of the organization being probed.
"""

import datetime
import itertools
import re
from typing import TYPE_CHECKING

import pytest
from django.apps import apps
from django.db.models import Model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from django.utils import timezone

from careloop.accounts.models import User
from careloop.patients.cardnumbers import card_number
from careloop.patients.models import (
    Allergy,
    Condition,
    ConsentEvent,
    Encounter,
    FamilyHistory,
    FamilyLink,
    Lifestyle,
    Medication,
    MembershipCard,
    Patient,
    PatientTag,
    Tag,
)
from careloop.patients.scoping import patients_for
from careloop.patients.tabs import TABS
from careloop.patients.views.registry import REVEALABLE
from tests.factories import make_organization, make_patient

if TYPE_CHECKING:
    from careloop.patients.record.sections import Section

_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def _sections() -> "dict[str, Section]":
    from careloop.patients.record.sections import SECTIONS

    return SECTIONS


# Every value a slug part can take; a new slug part needs its values here (the reachability test says so).
SLUG_VALUES = {
    "tab": lambda: list(TABS),
    "field": lambda: list(REVEALABLE),
    "section": lambda: list(_sections()),
    "change": lambda: ["freeze", "unfreeze", "lost"],
}


def _walk(patterns, prefix=""):
    for entry in patterns:
        if not isinstance(entry.pattern, RoutePattern):
            continue  # regex routes (admin internals) take no patient id
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route


def patient_routes() -> list[tuple[str, dict[str, str]]]:
    """(route, slug values) for every route that takes a patient_id, once per combination of slug values."""
    found = []
    for route in sorted(set(_walk(get_resolver().url_patterns))):
        params = {m["name"]: m["converter"] or "str" for m in _PARAM.finditer(route)}
        if "patient_id" not in params:
            continue
        combos: list[dict[str, str]] = [{}]
        for name, converter in params.items():
            if converter in ("slug", "str"):
                values = SLUG_VALUES[name]() if name in SLUG_VALUES else ["unknown-slug"]
                combos = [{**combo, name: value} for combo in combos for value in values]
        found += [(route, combo) for combo in combos]
    return found


ROUTES = patient_routes()


def _model_for(kwarg: str, slugs: dict[str, str]) -> type[Model] | None:
    if kwarg == "item_id" and "section" in slugs:
        return _sections()[slugs["section"]].model
    stem = kwarg.removesuffix("_id")
    models = [m for m in apps.get_models() if m._meta.app_label in ("patients", "accounts")]
    exact = [m for m in models if m._meta.model_name == stem]
    found = exact or [m for m in models if (m._meta.model_name or "").endswith(stem)]
    return found[0] if found else None


def _object_id(kwarg: str, slugs: dict[str, str], patient: Patient) -> int:
    model = _model_for(kwarg, slugs)
    if model is None:
        return patient.pk
    names = {f.name for f in model._meta.get_fields()}
    rows = model._default_manager.all()
    if "patient" in names:
        rows = rows.filter(patient=patient)
    elif "organization" in names:
        rows = rows.filter(organization_id=patient.organization_id)
    pk = rows.order_by("pk").values_list("pk", flat=True).first()
    return pk if pk is not None else patient.pk


def url_for(route: str, slugs: dict[str, str], patient: Patient) -> str:
    def fill(match):
        name = match["name"]
        if name == "patient_id":
            return str(patient.pk)
        if name in slugs:
            return slugs[name]
        return str(_object_id(name, slugs, patient))

    return "/" + _PARAM.sub(fill, route)


_serial = itertools.count(1)


def staff(org, role: str, **extra) -> User:
    """A user without a password: hashing with Argon2 a hundred times over would dominate this file's time."""
    return User.objects.create(
        username=f"{role}-scoping-{next(_serial)}", organization=org, role=role, **extra
    )


def populated_patient(org) -> Patient:
    """A patient with one row of everything that hangs off a patient, in organization `org`."""
    doctor = staff(org, "doctor")
    patient = make_patient(doctor, name="张三")
    tag = Tag.objects.create(organization=org, name="高血压")
    PatientTag.objects.create(patient=patient, tag=tag)
    MembershipCard.objects.create(organization=org, patient=patient, number=card_number(10_000 + patient.pk))
    FamilyLink.objects.create(
        patient=patient, related_name="张大", related_mobile="13900001111", relationship="child"
    )
    ConsentEvent.objects.create(patient=patient, purpose="care", granted=True)
    Condition.objects.create(patient=patient, icd10_code="I10", name="原发性高血压")
    Medication.objects.create(patient=patient, name="氨氯地平", dose="5 mg")
    Allergy.objects.create(patient=patient, substance="青霉素", category="medication")
    Lifestyle.objects.create(patient=patient)
    FamilyHistory.objects.create(patient=patient, relative="father", condition="脑卒中")
    Encounter.objects.create(patient=patient, admitted_at=timezone.now() - datetime.timedelta(days=3))
    return patient


def _ids(params):
    return [f"{route} {slugs}" if slugs else route for route, slugs in params]


def test_patient_routes_are_found():
    routes = {route for route, _ in ROUTES}
    assert "patients/<int:patient_id>/" in routes
    assert "patients/<int:patient_id>/reveal/<slug:field>/" in routes
    assert len(routes) >= 6


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "slugs"), ROUTES, ids=_ids(ROUTES))
def test_every_patient_url_is_404_for_staff_of_another_organization(route, slugs):
    org_a, org_b = make_organization(), make_organization("另一家医院")
    populated_patient(org_a)
    elsewhere = populated_patient(org_b)
    url = url_for(route, slugs, elsewhere)
    nowhere = url_for(route, slugs, Patient(pk=elsewhere.pk + 10_000, organization_id=org_b.pk))
    for user in (staff(org_a, "nurse"), staff(org_a, "admin", is_staff=True)):
        client = Client()
        client.force_login(user)
        statuses = {}
        for method in ("get", "post"):
            statuses[method] = getattr(client, method)(url).status_code
            # 405 (the route does not take this method) is fine: a patient that does not exist gets it too.
            assert statuses[method] == getattr(client, method)(nowhere).status_code, f"{method} {url}"
            assert statuses[method] in (404, 405), f"{user.role} {method.upper()} {url}: {statuses[method]}"
        assert 404 in statuses.values(), f"{user.role} {url}: {statuses}"
    assert Patient.objects.filter(pk=elsewhere.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "slugs"), ROUTES, ids=_ids(ROUTES))
def test_the_same_urls_reach_the_users_own_patient(route, slugs):
    """Proves the 404s above come from scoping: with the organization's own objects the URL answers."""
    assert "unknown-slug" not in slugs.values(), f"add the values of the slug parts of {route} to SLUG_VALUES"
    org = make_organization()
    patient = populated_patient(org)
    url = url_for(route, slugs, patient)
    client = Client()
    client.force_login(staff(org, "admin", is_staff=True))
    statuses = [client.get(url).status_code, client.post(url).status_code]
    assert statuses != [404, 404], url


@pytest.mark.django_db
def test_patients_for_returns_only_the_users_organization():
    org_a, org_b = make_organization(), make_organization("另一家医院")
    doctor_a, doctor_b = staff(org_a, "doctor"), staff(org_b, "doctor")
    mine = {make_patient(doctor_a, name=n).pk for n in ["张三", "李四"]}
    make_patient(doctor_b, name="赵六")
    assert set(patients_for(staff(org_a, "nurse")).values_list("pk", flat=True)) == mine
    assert not patients_for(
        User.objects.create_superuser("root", password="x" * 12)
    ).exists()  # no organization
    from django.contrib.auth.models import AnonymousUser

    assert not patients_for(AnonymousUser()).exists()


@pytest.fixture
def two_orgs_with_same_looking_patients():
    org_a, org_b = make_organization(), make_organization("另一家医院")
    make_patient(staff(org_a, "doctor"), name="赵一")
    elsewhere = make_patient(staff(org_b, "doctor"), name="赵六", mobile="13766667777")
    MembershipCard.objects.create(organization=org_b, patient=elsewhere, number=card_number(424242))
    return org_a, org_b, elsewhere


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["full_id", "full_mobile", "7777", "zl", "zhaoliu", "赵六", "card"])
def test_patient_list_search_never_returns_another_organizations_patients(
    two_orgs_with_same_looking_patients, query
):
    org_a, org_b, elsewhere = two_orgs_with_same_looking_patients
    q = {"full_id": elsewhere.id_number, "full_mobile": elsewhere.mobile, "card": card_number(424242)}.get(
        query, query
    )
    for org, expected in [(org_b, [elsewhere.pk]), (org_a, [])]:  # found at home, not elsewhere
        client = Client()
        client.force_login(staff(org, "nurse"))
        response = client.post("/patients/", {"q": q}, follow=True)
        assert [p.pk for p in response.context["page"]] == expected, (org.code, q)


@pytest.mark.django_db
def test_unfiltered_list_shows_only_own_patients(two_orgs_with_same_looking_patients):
    org_a, _org_b, elsewhere = two_orgs_with_same_looking_patients
    client = Client()
    client.force_login(staff(org_a, "nurse"))
    page = client.get("/patients/")
    assert elsewhere.pk not in [p.pk for p in page.context["page"]]
    assert "赵六" not in page.content.decode()
