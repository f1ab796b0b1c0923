"""Another organization's patients do not exist for a user: lists and searches never show them.

Every URL of the project (patient pages included) is probed for other organizations by
`tests/test_cross_organization.py`, which reads the URLs from the resolver.
"""

import itertools

import pytest
from django.test import Client

from careloop.accounts.models import User
from careloop.patients.cardnumbers import card_number
from careloop.patients.models import MembershipCard
from careloop.patients.scoping import patients_for
from tests.factories import make_organization, make_patient

_serial = itertools.count(1)


def staff(org, role: str, **extra) -> User:
    """A user without a password: Argon2 hashing would dominate this file's time."""
    return User.objects.create(
        username=f"{role}-scoping-{next(_serial)}", organization=org, role=role, **extra
    )


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
