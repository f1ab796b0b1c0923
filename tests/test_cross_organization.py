"""Nothing of another organization is ever shown or changed, through any URL, by any role.

The URLs are read from the resolver (`tests/urlwalk.py`), so a page added later is probed without
editing this file: every parameter is filled with a real object of organization B, and the URL is
requested (GET, then POST) by each role of organization A and by an installation superuser. A URL that
names B's object must answer 403/404 (405 for the wrong method) exactly as for an object that does not
exist; any answer must not contain a text only B's objects have; and B's rows must be unchanged.
"""

from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.test import Client

from careloop.accounts.models import Organization, User
from careloop.accounts.roles import Role
from tests.factories import make_organization
from tests.urlwalk import Case, World, missing_providers, populate, staff, url_cases

CASES = url_cases()
REFUSED = {403, 404, 405}
HTMX = {"HTTP_HX_REQUEST": "true"}

# Answers that are about the request itself, never about stored data: a POST to the login form.
POST_PAYLOADS: dict[str, dict[str, str]] = {
    "patients:edit": {"name": "改名", "sex": "male", "birth_date": "1960-05-17", "id_type": "resident"},
    "patients:tag": {"name": "新标签"},
    "patients:family_edit": {"related_name": "改名家属", "relationship": "spouse"},
    "patients:family_add": {"related_name": "新家属", "relationship": "spouse"},
    "patients:consent_record": {
        "purpose": "care",
        "granted": "false",
        "given_by": "self",
        "method": "verbal",
    },
    "patients:card_issue": {"tier": "gold"},
    "patients:card_change": {"reason": "丢失"},
    "patients:record:add": {"name": "新病", "icd10_code": "E11", "substance": "花粉", "relative": "mother"},
    "patients:record:edit": {"name": "改病", "icd10_code": "E11", "substance": "花粉", "relative": "mother"},
    "observations:critical_limit": {"low": "1.5", "high": "8.5"},
    "observations:unmatched_match": {"patient": "0"},
    "alerts:resolve": {"note": "已电话联系"},
}


def _organization_path(model: type[models.Model]) -> str | None:
    """The lookup from `model` to its organization (`organization`, `patient__organization`, ...)."""
    if model is Organization:
        return "pk"
    fields = {f.name: f for f in model._meta.get_fields() if isinstance(f, models.ForeignKey)}
    if "organization" in fields:
        return "organization"
    for name, related in fields.items():
        target = related.related_model
        if isinstance(target, type) and any(
            f.name == "organization" for f in target._meta.get_fields() if isinstance(f, models.ForeignKey)
        ):
            return f"{name}__organization"
    return None


def rows_of(organization: Organization) -> dict[str, list[dict[str, Any]]]:
    """Every stored row that belongs to `organization`, by model."""
    snapshot = {}
    for model in apps.get_models():
        path = _organization_path(model)
        if path is not None:
            rows = model._default_manager.filter(**{path: organization.pk}).order_by("pk").values()
            snapshot[model._meta.label] = list(rows)
    return snapshot


def actors(organization: Organization) -> list[User]:
    """Each role of `organization`, and an installation superuser (who has no organization)."""
    people = [staff(organization, role, is_staff=role == Role.ADMIN) for role in Role]
    return [*people, User.objects.create_superuser(f"root-{organization.pk}", password=None)]


def request(client: Client, user: User, method: str, url: str, case: Case, **headers: str) -> Any:
    if "_auth_user_id" not in client.session:  # the first request, or a logout URL was walked
        client.force_login(user)
    data = POST_PAYLOADS.get(case.route.name, {}) if method == "post" else None
    return getattr(client, method)(url, data, **headers)


@pytest.fixture
def worlds(db) -> tuple[World, World]:
    # Marks no product text contains (乙 alone would match 乙肝, hepatitis B); the organization names too.
    return populate(make_organization("甲鲲医院"), "甲鲲"), populate(make_organization("乙鹏医院"), "乙鹏")


def test_every_url_parameter_has_a_value_provider():
    assert missing_providers() == []


def test_the_walk_covers_the_projects_pages():
    names = {case.route.name for case in CASES}
    for expected in ("patients:list", "patients:tab", "patients:record:edit", "observations:import_detail"):
        assert expected in names
    assert not any(case.route.route.startswith("admin/") for case in CASES)


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_no_role_of_another_organization_sees_or_changes_anything(case, worlds):
    mine, theirs = worlds
    url, nowhere = case.url(theirs), case.url(theirs, missing=True)
    before = rows_of(theirs.organization)
    people = actors(mine.organization)
    for user in people:
        client = Client()
        for method, headers in (("get", {}), ("get", HTMX), ("post", {}), ("post", HTMX)):
            response = request(client, user, method, url, case, **headers)
            where = f"{user.role or 'superuser'} {method.upper()} {url} {headers}"
            if case.names_an_object:
                assert response.status_code in REFUSED, f"{where}: {response.status_code}"
                if user is people[0]:  # the same answer as for an object that exists nowhere
                    missing = request(client, user, method, nowhere, case, **headers).status_code
                    assert response.status_code == missing, f"{where}: {response.status_code} != {missing}"
            body = response.content.decode(errors="replace") + str(response.headers)
            leaked = [marker for marker in theirs.markers if marker in body]
            assert not leaked, f"{where} shows {leaked}"
    assert rows_of(theirs.organization) == before, url


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_the_same_urls_reach_the_organizations_own_objects(case, worlds):
    """Proves the refusals above come from scoping: with its own objects, the URL answers."""
    mine, _theirs = worlds
    admin, client = staff(mine.organization, Role.ADMIN, is_staff=True), Client()
    statuses = [
        request(client, admin, method, case.url(mine), case).status_code for method in ("get", "post")
    ]
    assert statuses != [404, 404], case.url(mine)


@pytest.mark.django_db
def test_an_organizations_own_pages_show_its_markers(worlds):
    """The markers the walk looks for are ones the pages really show (else the walk would prove nothing)."""
    mine, _theirs = worlds
    client = Client()
    client.force_login(staff(mine.organization, Role.ADMIN, is_staff=True))
    shown = "".join(
        client.get(case.url(mine)).content.decode(errors="replace")
        for case in CASES
        if case.route.name
        in ("patients:detail", "observations:import_detail", "observations:critical_limits")
    )
    assert all(marker in shown for marker in mine.markers), mine.markers
