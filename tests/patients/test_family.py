"""Family links (家庭成员): an existing patient or a name and mobile, guardian and act-for flags."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careloop.accounts.models import AuditEntry
from careloop.patients.membership import actions
from careloop.patients.models import FamilyLink
from tests.factories import make_patient, make_user

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "tab-panel"}


def add_url(patient):
    return reverse("patients:family_add", args=[patient.pk])


def stored_mobile(link) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT related_mobile FROM patients_familylink WHERE id = %s", [link.pk])
        stored: str = cursor.fetchone()[0]
    return stored


@pytest.mark.django_db
def test_a_named_relative_is_stored_encrypted_and_shown_masked(logged_in, nurse, patient):
    client = logged_in(nurse)
    form = {
        "related_name": "张小红",
        "related_mobile": "+86 139-1234-5678",
        "relationship": "daughter",
        "can_act_for": "on",
    }
    response = client.post(add_url(patient), form, **HTMX)
    body = response.content.decode()
    link = FamilyLink.objects.get(patient=patient)
    assert (link.related_name, link.related_mobile, link.relationship) == (
        "张小红",
        "13912345678",
        "daughter",
    )
    assert link.can_act_for and not link.is_guardian
    assert "13912345678" not in stored_mobile(link)
    assert "139****5678" in body and "13912345678" not in body
    entry = AuditEntry.objects.get(action="family.add")
    assert "13912345678" not in str(entry.detail) and entry.detail["relationship"] == "daughter"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("mobile", "message"),
    [
        ("1391234567", "11"),  # one digit short: the message says how many
        ("12912345678", "13"),  # no such prefix
        ("1391234abcd", "digits"),
    ],
)
def test_a_bad_mobile_is_a_field_error_and_nothing_is_saved(
    logged_in, nurse, patient, mobile, message, settings
):
    settings.LANGUAGE_CODE = "en"
    client = logged_in(nurse)
    response = client.post(
        add_url(patient), {"related_name": "张小红", "related_mobile": mobile, "relationship": "son"},
        HTTP_ACCEPT_LANGUAGE="en", **HTMX,
    )  # fmt: skip
    body = response.content.decode()
    assert response.status_code == 200 and 'class="error"' in body and message in body
    assert 'value="张小红"' in body  # what was typed is kept
    assert not FamilyLink.objects.exists()


@pytest.mark.django_db
def test_neither_a_patient_nor_a_name_is_refused(logged_in, nurse, patient):
    response = logged_in(nurse).post(add_url(patient), {"relationship": "son"})
    assert response.status_code == 400 and 'class="error"' in response.content.decode()
    assert not FamilyLink.objects.exists()


@pytest.mark.django_db
def test_an_existing_patient_is_found_and_linked(logged_in, nurse, patient):
    wife = make_patient(nurse, name="王芳", sex="female", mobile="13800001111")
    client = logged_in(nurse)
    found = client.post(
        reverse("patients:family_find", args=[patient.pk]), {"q": "wf"}, HTTP_HX_REQUEST="true"
    )
    body = found.content.decode()
    assert f'value="{wife.pk}"' in body and "王芳" in body and "138****1111" in body
    assert f'value="{patient.pk}"' not in body  # never offered as their own relative
    assert AuditEntry.objects.filter(action="patient.list", detail__filters=["family_link"]).exists()
    client.post(add_url(patient), {"related_patient": wife.pk, "relationship": "spouse", "is_guardian": "on"})
    link = FamilyLink.objects.get(patient=patient)
    assert link.related_patient == wife and link.related_name == "王芳" and link.related_mobile == ""
    tab = client.get(reverse("patients:tab", args=[patient.pk, "family"]), **HTMX).content.decode()
    assert "138****1111" in tab and reverse("patients:detail", args=[wife.pk]) in tab


@pytest.mark.django_db
def test_another_organizations_patient_cannot_be_linked(logged_in, nurse, patient, other_org):
    stranger = make_patient(make_user(other_org, "doctor"), name="王芳")
    client = logged_in(nurse)
    found = client.post(reverse("patients:family_find", args=[patient.pk]), {"q": "王芳"})
    assert f'value="{stranger.pk}"' not in found.content.decode()
    response = client.post(
        add_url(patient), {"related_patient": stranger.pk, "relationship": "spouse"}, **HTMX
    )
    assert 'class="error"' in response.content.decode()
    assert not FamilyLink.objects.exists()


@pytest.mark.django_db
def test_the_action_refuses_a_self_link_and_a_duplicate(nurse, patient):
    with pytest.raises(actions.Refused):
        actions.do_add_family_link(nurse, patient, FamilyLink(related_patient=patient, relationship="other"))
    wife = make_patient(nurse, name="王芳")
    actions.do_add_family_link(nurse, patient, FamilyLink(related_patient=wife, relationship="spouse"))
    with pytest.raises(actions.Refused, match="王芳"):
        actions.do_add_family_link(nurse, patient, FamilyLink(related_patient=wife, relationship="spouse"))
    assert FamilyLink.objects.count() == 1


@pytest.mark.django_db
def test_act_for_toggles_and_is_audited(logged_in, nurse, patient):
    link = actions.do_add_family_link(
        nurse, patient, FamilyLink(related_name="张小红", relationship="daughter")
    )
    client = logged_in(nurse)
    url = reverse("patients:family_act_for", args=[patient.pk, link.pk])
    response = client.post(url, **HTMX)
    assert FamilyLink.objects.get(pk=link.pk).can_act_for is True
    assert 'aria-pressed="true"' in response.content.decode()
    client.post(url)
    assert FamilyLink.objects.get(pk=link.pk).can_act_for is False
    changes = [e.detail["changes"] for e in AuditEntry.objects.filter(action="family.update").order_by("id")]
    assert changes == [{"can_act_for": ["False", "True"]}, {"can_act_for": ["True", "False"]}]


@pytest.mark.django_db
def test_editing_keeps_the_stored_mobile_unless_a_new_one_is_typed(logged_in, nurse, patient):
    link = actions.do_add_family_link(
        nurse,
        patient,
        FamilyLink(related_name="张小红", related_mobile="13912345678", relationship="daughter"),
    )
    client = logged_in(nurse)
    url = reverse("patients:family_edit", args=[patient.pk, link.pk])
    page = client.get(url, **HTMX).content.decode()
    assert "139****5678" in page and "13912345678" not in page
    client.post(
        url, {"related_name": "张小红", "related_mobile": "", "relationship": "guardian", "is_guardian": "on"}
    )
    link.refresh_from_db()
    assert (link.related_mobile, link.relationship, link.is_guardian) == ("13912345678", "guardian", True)
    client.post(url, {"related_name": "张小红", "related_mobile": "13700000000", "relationship": "guardian"})
    link.refresh_from_db()
    assert link.related_mobile == "13700000000"
    details = [e.detail for e in AuditEntry.objects.filter(action="family.update").order_by("id")]
    assert details[-1]["changes"]["related_mobile"] == "(changed)"
    assert "13700000000" not in str(details)


@pytest.mark.django_db
def test_update_refuses_fields_that_are_not_its_own(nurse, patient):
    link = actions.do_add_family_link(
        nurse, patient, FamilyLink(related_name="张小红", relationship="daughter")
    )
    with pytest.raises(ValueError, match="patient_id"):
        actions.do_update_family_link(nurse, link, patient_id=999)


@pytest.mark.django_db
def test_remove_deletes_the_link_and_writes_the_audit(logged_in, nurse, patient):
    link = actions.do_add_family_link(
        nurse, patient, FamilyLink(related_name="张小红", relationship="daughter")
    )
    response = logged_in(nurse).post(reverse("patients:family_remove", args=[patient.pk, link.pk]))
    assert response.status_code == 302
    assert not FamilyLink.objects.exists()
    assert AuditEntry.objects.filter(
        action="family.remove", object_id=str(link.pk), patient_id=patient.pk
    ).exists()


@pytest.mark.django_db
def test_receptionist_sees_the_family_but_cannot_change_it(logged_in, nurse, receptionist, patient):
    link = actions.do_add_family_link(
        nurse, patient, FamilyLink(related_name="张小红", relationship="daughter")
    )
    client = logged_in(receptionist)
    tab = client.get(reverse("patients:tab", args=[patient.pk, "family"]), **HTMX)
    assert tab.status_code == 200 and "张小红" in tab.content.decode()
    assert 'id="family-link-form"' not in tab.content.decode()
    assert client.post(add_url(patient), {"related_name": "李四", "relationship": "son"}).status_code == 403
    assert client.post(reverse("patients:family_remove", args=[patient.pk, link.pk])).status_code == 403
    assert client.post(reverse("patients:family_find", args=[patient.pk]), {"q": "z"}).status_code == 403
    assert FamilyLink.objects.count() == 1


@pytest.mark.django_db
def test_another_organizations_patient_is_not_found(logged_in, nurse, other_org):
    stranger = make_patient(make_user(other_org, "doctor"), name="外院病人")
    link = actions.do_add_family_link(nurse, stranger, FamilyLink(related_name="某人", relationship="son"))
    client = logged_in(nurse)
    assert client.post(add_url(stranger), {"related_name": "李四", "relationship": "son"}).status_code == 404
    assert client.post(reverse("patients:family_act_for", args=[stranger.pk, link.pk])).status_code == 404
    assert client.post(reverse("patients:family_find", args=[stranger.pk]), {"q": "z"}).status_code == 404


@pytest.mark.django_db
def test_family_tab_query_count_does_not_grow_with_the_family(logged_in, nurse, patient):
    client = logged_in(nurse)
    url = reverse("patients:tab", args=[patient.pk, "family"])
    relative = make_patient(nurse, name="王芳")
    actions.do_add_family_link(nurse, patient, FamilyLink(related_patient=relative, relationship="spouse"))
    client.get(url, **HTMX)
    with CaptureQueriesContext(connection) as few:
        client.get(url, **HTMX)
    for i in range(5):
        relative = make_patient(nurse, name=f"亲属{i}")
        actions.do_add_family_link(nurse, patient, FamilyLink(related_patient=relative, relationship="son"))
        actions.do_add_family_link(nurse, patient, FamilyLink(related_name=f"外人{i}", relationship="other"))
    with CaptureQueriesContext(connection) as many:
        response = client.get(url, **HTMX)
    assert response.content.decode().count("<tr data-link=") == 11
    assert len(many) == len(few) <= 14
