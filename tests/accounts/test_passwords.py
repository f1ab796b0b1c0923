"""Issue 21, item 11: every user changes their own password; an administrator's reset forces a change at the
next login; the organization's policy (complexity, history, maximum age) holds wherever a password is set."""

import datetime

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from careloop.accounts.models import AuditEntry, PasswordHistory, PasswordPolicy, User
from careloop.accounts.password_rules import HISTORY_KEPT
from tests.factories import PASSWORD, make_user

NEW = "Fresh-garden-path-42"


@pytest.fixture
def en_client():
    return Client(headers={"Accept-Language": "en"})


def change(client, old=PASSWORD, new=NEW, again=None):
    data = {"old_password": old, "new_password1": new, "new_password2": again or new}
    return client.post(reverse("myaccount:password"), data)


def errors_of(password, user):
    try:
        validate_password(password, user)
    except ValidationError as error:
        return [e.code for e in error.error_list]
    return []


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["admin", "doctor", "nurse", "receptionist", "auditor"])
def test_every_role_changes_their_own_password_with_the_current_one(en_client, org, role):
    user = make_user(org, role)
    en_client.force_login(user)
    assert "Change password" in en_client.get(reverse("myaccount:home")).content.decode()
    assert change(en_client, old="not-my-password").status_code == 200
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    response = change(en_client)
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW)
    assert en_client.session.get(SESSION_KEY) == str(user.pk)  # still logged in
    entry = AuditEntry.objects.get(action="password.changed", actor=user)
    assert entry.organization_id == org.pk and NEW not in str(entry.detail)


@pytest.mark.django_db
def test_the_policy_of_the_users_organization_is_enforced(en_client, nurse, other_org):
    PasswordPolicy.objects.create(organization=nurse.organization, min_length=16, min_classes=4, history=3)
    assert errors_of("Fresh-garden-42", nurse) == ["password_length"]
    assert errors_of("fresh-garden-path-42", nurse) == ["password_classes"]
    assert errors_of("Fresh-garden-path-42", nurse) == []
    elsewhere = make_user(other_org, "nurse")
    assert errors_of("Fresh-garden-42", elsewhere) == []  # the default policy: 12 characters, 3 classes
    en_client.force_login(nurse)
    page = change(en_client, new="fresh-garden-path-42").content.decode()
    assert "Use at least 4 kinds of character" in page
    assert "At least 16 characters." in page


@pytest.mark.django_db
def test_the_last_passwords_cannot_be_chosen_again(en_client, nurse):
    PasswordPolicy.objects.create(organization=nurse.organization, history=2)
    third, fourth = "Third-of-them-77", "Fourth-in-line-55"
    en_client.force_login(nurse)
    assert change(en_client, new=PASSWORD).status_code == 200  # the current one
    assert change(en_client, new=NEW).status_code == 302
    assert change(en_client, old=NEW, new=third).status_code == 302
    refused = change(en_client, old=third, new=NEW)  # the one before
    assert refused.status_code == 200 and "This password was used recently" in refused.content.decode()
    assert change(en_client, old=third, new=fourth).status_code == 302
    assert change(en_client, old=fourth, new=NEW).status_code == 302  # older than the last 2
    stored = list(PasswordHistory.objects.filter(user=nurse).values_list("password", flat=True))
    assert len(stored) == 4 and all(s.startswith("argon2$") and NEW not in s for s in stored)  # hashes only


@pytest.mark.django_db
def test_the_history_keeps_only_the_newest_hashes(nurse):
    for n in range(HISTORY_KEPT + 3):
        nurse.set_password(f"Password-number-{n}")
        nurse.save()
    assert PasswordHistory.objects.filter(user=nurse).count() == HISTORY_KEPT
    assert nurse.password_history.order_by("-set_at", "-id").first().password == nurse.password


@pytest.mark.django_db
def test_an_administrators_reset_forces_a_change_at_next_login(en_client, admin_user, nurse):
    en_client.force_login(admin_user)
    response = en_client.post(reverse("staff:reset_password", args=[nurse.pk]))
    assert "no-store" in response["Cache-Control"]
    temporary = response.context["password"]
    assert temporary in response.content.decode()
    nurse.refresh_from_db()
    assert nurse.must_change_password and nurse.check_password(temporary)
    assert not AuditEntry.objects.filter(detail__icontains=temporary).exists()

    nurse_client = Client(headers={"Accept-Language": "en"})
    login = nurse_client.post(reverse("accounts:login"), {"username": nurse.username, "password": temporary})
    assert login.status_code == 302
    for path in (reverse("patients:list"), reverse("myaccount:home"), reverse("staff:list"), "/admin/"):
        assert nurse_client.get(path)["Location"] == reverse("myaccount:password"), path
    page = nurse_client.get(reverse("myaccount:password")).content.decode()
    assert "You logged in with a one-time password" in page
    assert 'class="mainnav"' not in page  # no links to pages that would only send her back here
    assert nurse_client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"}).status_code == 302
    assert change(nurse_client, old=temporary, new=temporary).status_code == 200  # not the same one again
    assert change(nurse_client, old=temporary).status_code == 302
    nurse.refresh_from_db()
    assert not nurse.must_change_password
    assert nurse_client.get(reverse("patients:list")).status_code == 200
    assert nurse_client.post(reverse("accounts:logout")).status_code == 302


@pytest.mark.django_db
def test_an_htmx_request_is_redirected_by_header_while_a_change_is_due(client, nurse):
    User.objects.filter(pk=nurse.pk).update(must_change_password=True)
    client.force_login(nurse)
    response = client.get(reverse("patients:list"), headers={"HX-Request": "true"})
    assert response.status_code == 204 and response["HX-Redirect"] == reverse("myaccount:password")


@pytest.mark.django_db
def test_a_password_older_than_the_maximum_age_must_be_changed_at_login(en_client, nurse):
    PasswordPolicy.objects.create(organization=nurse.organization, max_age_days=30)
    User.objects.filter(pk=nurse.pk).update(password_changed_at=timezone.now() - datetime.timedelta(days=31))
    en_client.post(reverse("accounts:login"), {"username": nurse.username, "password": PASSWORD})
    assert en_client.get(reverse("patients:list"))["Location"] == reverse("myaccount:password")
    assert "more than 30 days old" in en_client.get(reverse("myaccount:password")).content.decode()
    entry = AuditEntry.objects.get(action="password.expired", actor=nurse)
    assert entry.detail == {"max_age_days": 30}
    assert change(en_client).status_code == 302
    nurse.refresh_from_db()
    assert timezone.now() - nurse.password_changed_at < datetime.timedelta(minutes=1)
    assert not nurse.must_change_password


@pytest.mark.django_db
def test_a_young_password_or_no_maximum_age_lets_the_user_in(en_client, nurse):
    PasswordPolicy.objects.create(organization=nurse.organization, max_age_days=0)
    User.objects.filter(pk=nurse.pk).update(
        password_changed_at=timezone.now() - datetime.timedelta(days=3000)
    )
    en_client.post(reverse("accounts:login"), {"username": nurse.username, "password": PASSWORD})
    assert en_client.get(reverse("patients:list")).status_code == 200
    assert not AuditEntry.objects.filter(action="password.expired").exists()


@pytest.mark.django_db
def test_the_policy_page_saves_within_bounds_and_refuses_beyond(en_client, admin_user):
    en_client.force_login(admin_user)
    page = en_client.get(reverse("staff:password_policy")).content.decode()
    assert "This organization uses the default policy." in page
    refused = en_client.post(
        reverse("staff:password_policy"),
        {"min_length": 6, "min_classes": 5, "history": 30, "max_age_days": 400},
    )
    assert refused.status_code == 200 and not PasswordPolicy.objects.exists()
    assert set(refused.context["form"].errors) == {"min_length", "min_classes", "history", "max_age_days"}
    saved = en_client.post(
        reverse("staff:password_policy"),
        {"min_length": 12, "min_classes": 3, "history": 5, "max_age_days": 90},
    )
    assert saved.status_code == 302
    assert not AuditEntry.objects.filter(action="password_policy.changed").exists()  # the defaults, unchanged
    en_client.post(
        reverse("staff:password_policy"), {"min_length": 8, "min_classes": 2, "history": 0, "max_age_days": 0}
    )
    policy = PasswordPolicy.objects.get(organization=admin_user.organization)
    assert (policy.min_length, policy.min_classes, policy.history, policy.max_age_days) == (8, 2, 0, 0)
    assert AuditEntry.objects.get(action="password_policy.changed").detail["changes"] == {
        "min_length": [12, 8],
        "min_classes": [3, 2],
        "history": [5, 0],
        "max_age_days": [90, 0],
    }


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["doctor", "nurse", "receptionist", "auditor"])
def test_only_the_administrator_sets_the_policy(client, org, role):
    client.force_login(make_user(org, role))
    assert client.get(reverse("staff:password_policy")).status_code == 403


@pytest.mark.django_db
def test_my_account_links_the_second_factor_and_shows_when_the_password_expires(en_client, nurse):
    en_client.force_login(nurse)
    page = en_client.get(reverse("myaccount:home")).content.decode()
    assert reverse("accounts:totp_setup") in page
    assert "Set up a second factor" in page
    expires = timezone.localtime(nurse.password_changed_at + datetime.timedelta(days=90)).date()
    assert f"Change it by {expires:%Y-%m-%d}" in page
    header = en_client.get(reverse("patients:list")).content.decode()
    assert f'href="{reverse("myaccount:home")}"' in header
