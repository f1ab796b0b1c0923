"""The organization administrator's pages: staff, departments, tags; the header's links and start pages."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from careloop.accounts.models import AuditEntry, Department, User
from careloop.patients.models import Tag
from tests.factories import make_patient, make_user


@pytest.fixture
def en_client():
    return Client(headers={"Accept-Language": "en"})


@pytest.fixture
def admin_client(en_client, admin_user):
    en_client.force_login(admin_user)
    return en_client


@pytest.mark.django_db
def test_the_staff_list_shows_role_department_second_factor_last_login_and_lock(
    admin_client, org, department
):
    locked = make_user(org, "nurse", display_name="锁住的护士", department=department)
    User.objects.filter(pk=locked.pk).update(
        locked_until=timezone.now() + datetime.timedelta(minutes=10),
        totp_confirmed=True,
        last_login=timezone.make_aware(datetime.datetime(2026, 11, 30, 8, 15)),
    )
    make_user(org, "doctor", display_name="离职医生", is_active=False)
    page = admin_client.get(reverse("staff:list")).content.decode()
    row = page[page.index(f'id="staff-{locked.pk}"') :]
    row = row[: row.index("</tr>")]
    for text in (
        "锁住的护士",
        "Nurse / health manager",
        "全科",
        "On",
        "2026-11-30 08:15",
        "Locked until",
        "Unlock",
    ):
        assert text in row, text
    assert "Deactivated" in page


@pytest.mark.django_db
def test_the_staff_list_filters_by_name_and_role(admin_client, org):
    make_user(org, "nurse", display_name="王护士")
    make_user(org, "doctor", display_name="王医生")
    make_user(org, "doctor", display_name="李医生")
    by_name = admin_client.get(reverse("staff:list"), {"q": "王"}).context["rows"]
    assert {r["member"].display_name for r in by_name} == {"王护士", "王医生"}
    by_role = admin_client.get(reverse("staff:list"), {"q": "王", "role": "doctor"}).context["rows"]
    assert [r["member"].display_name for r in by_role] == ["王医生"]


@pytest.mark.django_db
def test_the_staff_list_costs_the_same_queries_for_many_staff(
    admin_client, org, department, django_assert_max_num_queries
):
    make_user(org, "nurse", department=department)
    # 9: the page's own, and the top bar's count of the administrator's open alerts.
    with django_assert_max_num_queries(9) as few:
        admin_client.get(reverse("staff:list"))
    for n in range(30):
        make_user(org, "nurse" if n % 2 else "doctor", department=department)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(admin_client.get(reverse("staff:list")).context["rows"]) == 32


@pytest.mark.django_db
def test_adding_a_staff_member_shows_a_one_time_password_that_the_new_member_must_replace(
    admin_client, org, department
):
    form = admin_client.get(reverse("staff:add"))
    roles = [value for value, _label in form.context["form"].fields["role"].choices]
    assert roles == ["admin", "doctor", "nurse", "receptionist"]
    data = {"username": "liu", "display_name": "刘护士", "department": department.pk, "role": "nurse"}
    response = admin_client.post(reverse("staff:add"), data)
    assert response.status_code == 200
    liu = User.objects.get(username="liu")
    assert (liu.organization_id, liu.department_id, liu.role, liu.is_active) == (
        org.pk,
        department.pk,
        "nurse",
        True,
    )
    assert liu.must_change_password and liu.check_password(response.context["password"])
    assert "no-store" in response["Cache-Control"]
    created = AuditEntry.objects.get(action="staff.created")
    assert created.detail == {
        "username": "liu",
        "role": "nurse",
        "department": "全科",
        "active": True,
        "superuser": False,
    }
    taken = admin_client.post(reverse("staff:add"), {**data, "username": "LIU"})
    assert taken.status_code == 200 and "This username is taken." in taken.content.decode()


@pytest.mark.django_db
def test_a_department_of_another_organization_cannot_be_given(admin_client, other_org):
    foreign = Department.objects.create(organization=other_org, name="外院科室")
    response = admin_client.post(
        reverse("staff:add"),
        {"username": "x1", "display_name": "X", "department": foreign.pk, "role": "nurse"},
    )
    assert response.status_code == 200 and not User.objects.filter(username="x1").exists()


@pytest.mark.django_db
def test_editing_a_member_records_old_and_new_role_department_and_state(admin_client, org, nurse, department):
    page = admin_client.get(reverse("staff:edit", args=[nurse.pk])).content.decode()
    assert "Reset password" in page
    data = {"display_name": "王护士长", "department": department.pk, "role": "doctor", "is_active": ""}
    assert admin_client.post(reverse("staff:edit", args=[nurse.pk]), data).status_code == 302
    nurse.refresh_from_db()
    assert (nurse.display_name, nurse.department_id, nurse.role, nurse.is_active) == (
        "王护士长",
        department.pk,
        "doctor",
        False,
    )
    assert AuditEntry.objects.get(action="staff.updated").detail["changes"] == {
        "display_name": ["王护士", "王护士长"],
        "department": ["", "全科"],
        "role": ["nurse", "doctor"],
        "is_active": [True, False],
    }
    admin_client.post(reverse("staff:edit", args=[nurse.pk]), data)
    assert AuditEntry.objects.filter(action="staff.updated").count() == 1  # nothing changed, nothing recorded


@pytest.mark.django_db
def test_an_administrator_edits_their_own_name_but_not_their_role_or_state(admin_client, admin_user):
    page = admin_client.get(reverse("staff:edit", args=[admin_user.pk])).content.decode()
    assert "Reset password" not in page and "Another administrator can change your role." in page
    data = {"display_name": "新名字", "role": "nurse", "is_active": ""}
    assert admin_client.post(reverse("staff:edit", args=[admin_user.pk]), data).status_code == 302
    admin_user.refresh_from_db()
    assert (admin_user.display_name, admin_user.role, admin_user.is_active) == ("新名字", "admin", True)


@pytest.mark.django_db
def test_unlocking_a_member_clears_the_lock_and_is_audited(admin_client, nurse):
    User.objects.filter(pk=nurse.pk).update(
        locked_until=timezone.now() + datetime.timedelta(minutes=5), failed_logins=3
    )
    response = admin_client.post(reverse("staff:unlock", args=[nurse.pk]), {"back": "edit"})
    assert response["Location"] == reverse("staff:edit", args=[nurse.pk])
    nurse.refresh_from_db()
    assert (nurse.locked_until, nurse.failed_logins) == (None, 0)
    assert AuditEntry.objects.filter(action="account.unlocked", object_id=str(nurse.pk)).exists()


@pytest.mark.django_db
def test_a_deactivated_member_is_logged_out(admin_client, nurse):
    nurse_client = Client()
    nurse_client.force_login(nurse)
    assert nurse_client.get(reverse("patients:list")).status_code == 200
    admin_client.post(
        reverse("staff:edit", args=[nurse.pk]), {"display_name": "x", "role": "nurse", "is_active": ""}
    )
    assert nurse_client.get(reverse("patients:list")).status_code == 302


# --- departments ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_departments_are_added_renamed_in_place_and_deleted_only_when_unused(admin_client, org, doctor):
    assert admin_client.post(reverse("staff:departments"), {"name": "康复科"}).status_code == 302
    assert admin_client.post(reverse("staff:departments"), {"name": "康复科"}).status_code == 200  # taken
    used, unused = (
        Department.objects.create(organization=org, name="心内科"),
        Department.objects.get(name="康复科"),
    )
    make_patient(doctor, department=used)
    row = admin_client.post(
        reverse("staff:department", args=[unused.pk]), {"name": "康复医学科"}, headers={"HX-Request": "true"}
    )
    assert (
        row.status_code == 200
        and 'id="department-' in row.content.decode()
        and "Saved" in row.content.decode()
    )
    clash = admin_client.post(
        reverse("staff:department", args=[unused.pk]), {"name": "心内科"}, headers={"HX-Request": "true"}
    )
    assert "already has one with this name" in clash.content.decode()
    page = admin_client.get(reverse("staff:departments")).content.decode()
    assert page.count(reverse("staff:department_delete", args=[unused.pk])) == 1
    assert reverse("staff:department_delete", args=[used.pk]) not in page
    admin_client.post(reverse("staff:department_delete", args=[used.pk]))
    admin_client.post(reverse("staff:department_delete", args=[unused.pk]))
    assert set(Department.objects.filter(organization=org).values_list("name", flat=True)) == {"心内科"}
    assert [e.action for e in AuditEntry.objects.filter(action__startswith="department.").order_by("id")] == [
        "department.created",
        "department.renamed",
        "department.deleted",
    ]


@pytest.mark.django_db
def test_the_departments_page_costs_the_same_queries_for_many_departments(
    admin_client, org, django_assert_max_num_queries
):
    Department.objects.create(organization=org, name="D0")
    with django_assert_max_num_queries(8) as few:
        admin_client.get(reverse("staff:departments"))
    Department.objects.bulk_create([Department(organization=org, name=f"D{n}") for n in range(1, 30)])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert admin_client.get(reverse("staff:departments")).status_code == 200


@pytest.mark.django_db
def test_another_organizations_department_and_tag_do_not_exist_here(admin_client, other_org):
    foreign = Department.objects.create(organization=other_org, name="外院")
    tag = Tag.objects.create(organization=other_org, name="外院标签")
    assert (
        admin_client.post(reverse("staff:department", args=[foreign.pk]), {"name": "改"}).status_code == 404
    )
    assert admin_client.post(reverse("staff:department_delete", args=[foreign.pk])).status_code == 404
    assert (
        admin_client.post(reverse("staff:tag", args=[tag.pk]), {"name": "改", "color": "#000000"}).status_code
        == 404
    )
    foreign.refresh_from_db()
    tag.refresh_from_db()
    assert (foreign.name, tag.name) == ("外院", "外院标签")


# --- tags -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_tags_are_added_and_edited_with_their_patients_counted(
    admin_client, org, doctor, django_assert_max_num_queries
):
    data = {"name": "高血压", "color": "#B91C1C", "description": "确诊高血压"}
    assert admin_client.post(reverse("staff:tags"), data).status_code == 302
    tag = Tag.objects.get(organization=org, name="高血压")
    assert tag.color == "#b91c1c"
    patient = make_patient(doctor)
    patient.patient_tags.create(tag=tag)
    with django_assert_max_num_queries(8):
        page = admin_client.get(reverse("staff:tags"))
    assert page.context["tags"][0].patient_count == 1
    row = admin_client.post(
        reverse("staff:tag", args=[tag.pk]),
        {"name": "高血压病", "color": "#2563eb", "description": ""},
        headers={"HX-Request": "true"},
    )
    assert "高血压病" in row.content.decode()
    bad = admin_client.post(
        reverse("staff:tag", args=[tag.pk]), {"name": "x", "color": "red;x"}, headers={"HX-Request": "true"}
    )
    assert "Choose a colour." in bad.content.decode()
    tag.refresh_from_db()
    assert (tag.name, tag.color) == ("高血压病", "#2563eb")
    updated = AuditEntry.objects.get(action="tag.updated")
    assert updated.detail["changes"] == {
        "name": ["高血压", "高血压病"],
        "color": ["#b91c1c", "#2563eb"],
        "description": ["确诊高血压", ""],
    }


@pytest.mark.django_db
def test_a_tag_typed_on_a_patients_page_is_created_through_the_audited_action(logged_in, nurse, patient):
    client = logged_in(nurse)
    client.post(reverse("patients:tag", args=[patient.pk]), {"name": "随访中"})
    client.post(reverse("patients:tag", args=[patient.pk]), {"name": "随访中"})
    assert Tag.objects.filter(name="随访中").count() == 1
    created = AuditEntry.objects.get(action="tag.created")
    assert created.actor_id == nurse.pk and created.detail["name"] == "随访中"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["doctor", "nurse"])
def test_clinicians_who_tag_patients_reach_the_tag_catalogue_and_nothing_else(client, org, role):
    client.force_login(make_user(org, role))
    assert client.get(reverse("staff:index"))["Location"] == reverse("staff:tags")
    assert client.get(reverse("staff:tags")).status_code == 200
    assert client.get(reverse("staff:departments")).status_code == 403


# --- the header and where each power starts -------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "start", "organization_link"),
    [
        ("admin", "patients:list", True),
        ("doctor", "patients:list", True),
        ("receptionist", "patients:list", False),
        ("auditor", "accounts:audit", False),
    ],
)
def test_each_role_starts_on_its_own_page_with_its_links(en_client, org, role, start, organization_link):
    user = make_user(org, role)
    en_client.force_login(user)
    response = en_client.get(reverse("home"))
    assert response["Location"] == reverse(start)
    page = en_client.get(reverse(start)).content.decode()
    assert ('id="nav-organization"' in page) is organization_link
    assert 'id="nav-admin"' not in page
    assert 'id="my-account"' in page
    # The patient list is linked only for those who may open it: not the audit reviewer.
    assert (f'href="{reverse("patients:list")}"' in page) is (role != "auditor")


@pytest.mark.django_db
def test_the_superuser_starts_in_the_django_admin_and_reads_no_patient(en_client, patient):
    root = User.objects.create_superuser("root", password="Root-password-99")
    en_client.force_login(root)
    assert en_client.get(reverse("home"))["Location"] == reverse("admin:index")
    assert en_client.get(reverse("patients:detail", args=[patient.pk])).status_code == 404
    assert en_client.get(reverse("staff:list")).status_code == 403
    page = en_client.get(reverse("myaccount:home")).content.decode()
    assert 'id="nav-admin"' in page and "Installation superuser" in page
