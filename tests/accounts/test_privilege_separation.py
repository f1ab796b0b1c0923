"""Issue 21, item 2: an organization's administrator could make themselves superuser through the Django admin.

Now the admin site is the installation superuser's alone, the organization's administrator manages staff in
CareLoop's pages within what their role may grant, and every change lands in the organization's audit chain.
"""

import pytest
from django.contrib.auth.models import Permission
from django.db import IntegrityError, transaction
from django.urls import reverse

from careloop.accounts.models import AuditEntry, User
from careloop.accounts.staff_actions import StaffChangeRefused, do_update_staff, staff_snapshot
from careloop.accounts.staff_rules import Refusal
from tests.accounts.auditing import seal, verify
from tests.factories import PASSWORD, make_user


@pytest.fixture
def org_admin(org):
    """An administrator as the demo made them before: staff status and Django's model permissions."""
    user = make_user(org, "admin", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["accounts", "patients"]))
    return user


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", password=PASSWORD)


def actions_of(org_id: int) -> list[str]:
    return list(AuditEntry.objects.filter(chain=org_id).order_by("id").values_list("action", flat=True))


# --- the Django admin: the installation superuser's only ------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/admin/", "/admin/accounts/user/", "/admin/accounts/organization/", "/admin/patients/tag/"]
)
def test_an_organization_administrator_cannot_reach_the_django_admin(client, org_admin, path):
    client.force_login(org_admin)
    assert client.get(path).status_code == 403


@pytest.mark.django_db
def test_an_organization_administrator_cannot_blank_their_organization_in_the_django_admin(client, org_admin):
    client.force_login(org_admin)
    data = {
        "username": org_admin.username,
        "role": "admin",
        "is_active": "on",
        "is_staff": "on",
        "organization": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "08:00:00",
    }
    response = client.post(f"/admin/accounts/user/{org_admin.pk}/change/", data)
    assert response.status_code == 403
    org_admin.refresh_from_db()
    assert org_admin.organization_id is not None


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["auditor", "doctor", "nurse", "receptionist"])
def test_no_other_staff_reach_the_django_admin_either(client, org, role):
    client.force_login(make_user(org, role, is_staff=True))
    assert client.get("/admin/").status_code == 403


@pytest.mark.django_db
def test_the_installation_superuser_reaches_the_django_admin_and_an_anonymous_visitor_is_sent_to_log_in(
    client, root
):
    assert client.get("/admin/").status_code == 302
    client.force_login(root)
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_a_superuser_inside_an_organization_is_refused_by_the_database(org):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_superuser("inside", password=PASSWORD, organization=org)


@pytest.mark.django_db
def test_the_admin_form_refuses_a_superuser_with_an_organization(client, root, org, nurse):
    client.force_login(root)
    data = {
        "username": nurse.username,
        "organization": org.pk,
        "role": "nurse",
        "is_active": "on",
        "is_superuser": "on",
    }
    response = client.post(f"/admin/accounts/user/{nurse.pk}/change/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "belongs to no organization" in response.content.decode()
    nurse.refresh_from_db()
    assert not nurse.is_superuser


# --- the product's staff pages: within the administrator's own powers ---------------------------------


@pytest.mark.django_db
def test_an_administrator_cannot_move_themselves_or_anyone_to_another_organization(
    client, org_admin, nurse, other_org
):
    client.force_login(org_admin)
    for member in (org_admin, nurse):
        data = {"display_name": "X", "role": member.role, "is_active": "on", "organization": other_org.pk}
        client.post(reverse("staff:edit", args=[member.pk]), data)
        member.refresh_from_db()
        assert member.organization_id == org_admin.organization_id  # the field is not the form's to set
    before = staff_snapshot(nurse)
    nurse.organization = other_org
    with pytest.raises(StaffChangeRefused) as refused:
        do_update_staff(org_admin, nurse, before)
    assert refused.value.refusal == Refusal.ORGANIZATION_CHANGE


@pytest.mark.django_db
@pytest.mark.parametrize("target_fixture", ["org_admin", "nurse"])
def test_an_administrator_cannot_grant_superuser_or_the_auditor_role(
    client, request, org_admin, target_fixture
):
    target = request.getfixturevalue(target_fixture)
    client.force_login(org_admin)
    data = {"display_name": "X", "role": "auditor", "is_active": "on", "is_superuser": "on", "is_staff": "on"}
    response = client.post(reverse("staff:edit", args=[target.pk]), data)
    # Another member: the form again, the role refused. Oneself: the role field is not one's to change.
    assert response.status_code == (302 if target == org_admin else 200)
    target.refresh_from_db()
    assert target.role != "auditor" and not target.is_superuser
    add = client.post(reverse("staff:add"), {"username": "sneaky", "display_name": "S", "role": "auditor"})
    assert add.status_code == 200
    assert not User.objects.filter(username="sneaky").exists()


@pytest.mark.django_db
def test_an_administrator_cannot_reset_or_edit_the_auditors_account(client, org_admin, auditor):
    client.force_login(org_admin)
    password_before = auditor.password
    assert client.post(reverse("staff:reset_password", args=[auditor.pk])).status_code == 403
    assert client.post(reverse("staff:unlock", args=[auditor.pk])).status_code == 403
    assert client.get(reverse("staff:edit", args=[auditor.pk])).status_code == 403
    data = {"display_name": "X", "role": "nurse", "is_active": ""}
    assert client.post(reverse("staff:edit", args=[auditor.pk]), data).status_code == 403
    auditor.refresh_from_db()
    assert auditor.password == password_before and auditor.role == "auditor" and auditor.is_active


@pytest.mark.django_db
def test_staff_of_another_organization_do_not_exist_for_the_administrator(client, org_admin, other_org):
    elsewhere = make_user(other_org, "nurse")
    client.force_login(org_admin)
    for name in ("staff:edit", "staff:reset_password", "staff:unlock"):
        url = reverse(name, args=[elsewhere.pk])
        assert client.get(url).status_code in (404, 405)
        assert client.post(url).status_code == 404, name
    listing = client.get(reverse("staff:list")).content.decode()
    assert elsewhere.username not in listing
    elsewhere.refresh_from_db()
    assert elsewhere.check_password(PASSWORD)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["doctor", "nurse", "receptionist", "auditor"])
def test_other_roles_cannot_manage_staff(client, org, role, nurse):
    client.force_login(make_user(org, role))
    assert client.get(reverse("staff:list")).status_code == 403
    assert client.post(reverse("staff:reset_password", args=[nurse.pk])).status_code == 403
    assert (
        client.post(reverse("staff:add"), {"username": "x", "display_name": "x", "role": "nurse"}).status_code
        == 403
    )


@pytest.mark.django_db
def test_the_last_active_administrator_cannot_be_demoted_or_deactivated(client, org_admin):
    second = make_user(org_admin.organization, "admin")
    client.force_login(org_admin)
    client.post(
        reverse("staff:edit", args=[second.pk]), {"display_name": "B", "role": "doctor", "is_active": "on"}
    )
    second.refresh_from_db()
    assert second.role == "doctor"  # another administrator remained
    client.force_login(second)
    assert client.get(reverse("staff:list")).status_code == 403
    before = staff_snapshot(org_admin)
    org_admin.is_active = False
    with pytest.raises(StaffChangeRefused) as refused:
        do_update_staff(org_admin, org_admin, before)
    assert refused.value.refusal == Refusal.OWN_DEACTIVATION
    third = make_user(org_admin.organization, "admin")
    org_admin.refresh_from_db()
    third.refresh_from_db()
    before = staff_snapshot(org_admin)
    org_admin.role = "nurse"
    User.objects.filter(pk=third.pk).update(is_active=False)
    with pytest.raises(StaffChangeRefused) as refused:
        do_update_staff(third, org_admin, before)  # an inactive one acts: refused before it matters
    assert refused.value.refusal in (Refusal.LAST_ADMINISTRATOR, Refusal.NOT_AN_ADMINISTRATOR)


# --- every change in the audit chain -------------------------------------------------------------------


@pytest.mark.django_db
def test_every_staff_change_from_the_product_pages_lands_in_the_audit_chain(client, org_admin, nurse):
    org_id = org_admin.organization_id
    client.force_login(org_admin)
    start = AuditEntry.objects.filter(chain=org_id).count()
    client.post(reverse("staff:add"), {"username": "wang", "display_name": "王护士", "role": "nurse"})
    wang = User.objects.get(username="wang")
    data = {"display_name": "王护士", "role": "doctor", "is_active": ""}
    client.post(reverse("staff:edit", args=[wang.pk]), data)
    client.post(reverse("staff:reset_password", args=[nurse.pk]))
    User.objects.filter(pk=nurse.pk).update(locked_until="2099-01-01T00:00Z")
    client.post(reverse("staff:unlock", args=[nurse.pk]))
    client.post(reverse("staff:departments"), {"name": "康复科"})
    client.post(reverse("staff:tags"), {"name": "高危", "color": "#b91c1c", "description": ""})
    client.post(
        reverse("staff:password_policy"),
        {"min_length": 14, "min_classes": 4, "history": 6, "max_age_days": 60},
    )
    assert actions_of(org_id)[start:] == [
        "staff.created",
        "staff.updated",
        "staff.password_reset",
        "account.unlocked",
        "department.created",
        "tag.created",
        "password_policy.changed",
    ]
    updated = AuditEntry.objects.get(chain=org_id, action="staff.updated")
    assert updated.actor_id == org_admin.pk and updated.object_id == str(wang.pk)
    assert updated.detail["changes"] == {"role": ["nurse", "doctor"], "is_active": [True, False]}
    policy = AuditEntry.objects.get(chain=org_id, action="password_policy.changed")
    assert policy.detail["changes"]["min_length"] == [12, 14]
    assert all(PASSWORD not in str(e.detail) for e in AuditEntry.objects.filter(chain=org_id))
    seal()
    verify("--organization", org_admin.organization.code)


@pytest.mark.django_db
def test_the_superusers_changes_in_the_django_admin_land_in_the_organizations_chain(client, root, org, nurse):
    client.force_login(root)
    start = AuditEntry.objects.filter(chain=org.pk).count()
    add = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "boss",
            "usable_password": "true",
            "password1": "Brand-new-admin-7",
            "password2": "Brand-new-admin-7",
            "display_name": "赵主任",
            "organization": org.pk,
            "role": "admin",
        },
    )
    assert add.status_code == 302, add.content.decode()[:2000]
    boss = User.objects.get(username="boss")
    assert boss.must_change_password and boss.organization_id == org.pk
    change = {"username": nurse.username, "organization": org.pk, "role": "doctor", "is_active": "on"}
    assert client.post(f"/admin/accounts/user/{nurse.pk}/change/", change).status_code == 302
    password = {
        "password1": "Another-fine-pass-8",
        "password2": "Another-fine-pass-8",
        "usable_password": "true",
    }
    assert client.post(f"/admin/accounts/user/{nurse.pk}/password/", password).status_code == 302
    assert (
        client.post("/admin/accounts/department/add/", {"name": "口腔科", "organization": org.pk}).status_code
        == 302
    )
    tag = {"name": "糖尿病", "organization": org.pk, "color": "#2563eb", "description": ""}
    assert client.post("/admin/patients/tag/add/", tag).status_code == 302
    assert (
        client.post(
            f"/admin/accounts/organization/{org.pk}/change/", {"name": "新名字", "code": org.code}
        ).status_code
        == 302
    )
    assert actions_of(org.pk)[start:] == [
        "staff.created",
        "staff.updated",
        "staff.password_set",
        "department.created",
        "tag.created",
        "organization.updated",
    ]
    entries = AuditEntry.objects.filter(chain=org.pk).order_by("id")[start:]
    assert {e.actor_id for e in entries} == {root.pk}
    nurse.refresh_from_db()
    assert nurse.role == "doctor" and nurse.must_change_password
    seal()
    verify("--organization", org.code)


@pytest.mark.django_db
def test_deleting_in_the_django_admin_is_audited_too(client, root, org):
    client.force_login(root)
    gone = make_user(org, "nurse")
    assert client.post(f"/admin/accounts/user/{gone.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not User.objects.filter(pk=gone.pk).exists()
    entry = AuditEntry.objects.get(chain=org.pk, action="staff.deleted")
    assert entry.detail == {"username": gone.username, "role": "nurse"} and entry.actor_id == root.pk
    empty = type(org).objects.create(name="空机构", code="empty")
    assert client.post(f"/admin/accounts/organization/{empty.pk}/delete/", {"post": "yes"}).status_code == 302
    deleted = AuditEntry.objects.get(chain=0, action="organization.deleted")
    assert deleted.detail["code"] == "empty"
