"""Health-record sections of the patient page: tabs, add / edit / delete, validation, permissions, audit."""

# ruff: noqa: RUF001 -- Chinese names use full-width punctuation, as the ICD-10 catalogue does.

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from careloop.accounts.models import AuditEntry
from careloop.patients.models import (
    Allergy,
    Condition,
    Encounter,
    FamilyHistory,
    Lifestyle,
    Medication,
    RecordItem,
)
from tests.factories import make_patient, make_user

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "tab-panel"}

SECTIONS = ["conditions", "medications", "allergies", "lifestyle", "family-history", "encounters"]

# section → (model, a valid form, the role allowed to edit it, the field an edit changes and its new value)
VALID: dict[str, tuple[type[RecordItem], dict[str, str], str, tuple[str, str]]] = {
    "conditions": (
        Condition,
        {"icd10_code": "I10", "name": "", "onset_date": "2019-04-01", "clinical_status": "active",
         "note": ""},
        "doctor",
        ("note", "控制良好"),
    ),
    "medications": (
        Medication,
        {"name": "氨氯地平片", "dose": "5 mg", "route": "oral", "frequency": "qd", "start_date": "2019-04-02",
         "stop_date": "", "note": ""},
        "doctor",
        ("dose", "10 mg"),
    ),
    "allergies": (
        Allergy,
        {"substance": "青霉素", "category": "medication", "reaction": "皮疹", "severity": "moderate"},
        "nurse",
        ("severity", "severe"),
    ),
    "lifestyle": (
        Lifestyle,
        {"smoking": "current", "cigarettes_per_day": "10", "alcohol": "occasional", "diet": "balanced",
         "salt_intake": "high", "exercise": "sometimes", "sleep_hours": "6.5", "assessed_on": "2024-03-01"},
        "nurse",
        ("salt_intake", "low"),
    ),
    "family-history": (
        FamilyHistory,
        {"relative": "father", "icd10_code": "I63", "condition": "", "note": ""},
        "nurse",
        ("note", "六十岁发病"),
    ),
    "encounters": (
        Encounter,
        {"encounter_class": "inpatient", "admitted_at": "2024-01-02T09:00",
         "discharged_at": "2024-01-09T10:30",
         "department": "心内科", "diagnoses": "不稳定型心绞痛", "procedures": "冠脉造影"},
        "doctor",
        ("department", "老年科"),
    ),
}  # fmt: skip

# section → (changes to the valid form that make it invalid, the field that must carry the error, words of it)
INVALID = [
    ("conditions", {"icd10_code": "X99.9"}, "icd10_code", "not in the catalogue"),
    ("conditions", {"icd10_code": ""}, "icd10_code", "required"),
    ("conditions", {"onset_date": "2999-01-01"}, "onset_date", "in the future"),
    (
        "medications",
        {"start_date": "2024-05-01", "stop_date": "2024-04-30"},
        "stop_date",
        "before the start date",
    ),
    ("medications", {"name": ""}, "name", "required"),
    ("allergies", {"substance": ""}, "substance", "required"),
    ("allergies", {"category": "weather"}, "category", "valid choice"),
    ("lifestyle", {"smoking": "never", "cigarettes_per_day": "5"}, "cigarettes_per_day", "current smokers"),
    ("lifestyle", {"sleep_hours": "25"}, "sleep_hours", "between 0 and 24"),
    ("lifestyle", {"sleep_hours": "-1"}, "sleep_hours", "between 0 and 24"),
    ("family-history", {"icd10_code": "", "condition": ""}, "condition", "Enter the condition"),
    ("encounters", {"discharged_at": "2024-01-01T08:00"}, "discharged_at", "before the admission"),
    ("encounters", {"admitted_at": ""}, "admitted_at", "required"),
]


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"
    return {"HTTP_ACCEPT_LANGUAGE": "en"}


def add_url(patient, section):
    return reverse("patients:record:add", args=[patient.pk, section])


def tab_url(patient, section):
    return reverse("patients:tab", args=[patient.pk, section])


def editor(org, section):
    return make_user(org, VALID[section][2])


def entries(action):
    return list(AuditEntry.objects.filter(action=action))


@pytest.mark.django_db
@pytest.mark.parametrize("section", SECTIONS)
def test_adding_a_row_inline_saves_it_shows_the_tab_and_writes_an_audit_entry(
    section, org, patient, logged_in
):
    model, data, _role, _change = VALID[section]
    client = logged_in(editor(org, section))
    response = client.post(add_url(patient, section), data, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="banner ok"' in body and "<html" not in body
    item = model.objects.get(patient=patient)
    name = model.__name__.lower()
    [entry] = entries(f"record.{name}.create")
    assert entry.patient_id == patient.pk and entry.object_id == str(item.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("section", SECTIONS)
def test_plain_post_without_htmx_redirects_to_the_tab(section, org, patient, logged_in):
    model, data, _role, _change = VALID[section]
    client = logged_in(editor(org, section))
    response = client.post(add_url(patient, section), data)
    assert response.status_code == 302 and response["Location"] == tab_url(patient, section)
    assert model.objects.filter(patient=patient).count() == 1
    page = client.get(response["Location"])
    assert "Saved." in page.content.decode() or "已保存" in page.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(("section", "changes", "field", "words"), INVALID)
def test_invalid_input_saves_nothing_and_says_what_is_wrong_where(
    section, changes, field, words, org, patient, logged_in, english
):
    model, data, _role, _change = VALID[section]
    client = logged_in(editor(org, section))
    response = client.post(add_url(patient, section), {**data, **changes}, **HTMX, **english)
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors
    assert words in " ".join(form.errors[field])
    assert "has-error" in response.content.decode()
    assert not model.objects.filter(patient=patient).exists()
    assert not AuditEntry.objects.filter(action__startswith="record.").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("section", SECTIONS)
def test_editing_a_row_changes_it_and_audits_old_and_new_values(section, org, patient, logged_in):
    model, data, _role, (field, new_value) = VALID[section]
    client = logged_in(editor(org, section))
    client.post(add_url(patient, section), data)
    item = model.objects.get(patient=patient)
    old_value = getattr(item, field)
    url = reverse("patients:record:edit", args=[patient.pk, section, item.pk])
    form = client.get(url, **HTMX)
    assert form.status_code == 200 and 'hx-post="' + url in form.content.decode()
    response = client.post(url, {**data, field: new_value}, **HTMX)
    assert response.status_code == 200
    item.refresh_from_db()
    assert str(getattr(item, field)) == new_value
    assert model.objects.filter(patient=patient).count() == 1
    [entry] = entries(f"record.{model.__name__.lower()}.update")
    assert entry.patient_id == patient.pk
    assert entry.detail["changes"] == {field: [str(old_value), new_value]}


@pytest.mark.django_db
@pytest.mark.parametrize("section", SECTIONS)
def test_deleting_a_row_removes_it_and_audits_it(section, org, patient, logged_in):
    model, data, _role, _change = VALID[section]
    client = logged_in(editor(org, section))
    client.post(add_url(patient, section), data)
    item = model.objects.get(patient=patient)
    response = client.post(reverse("patients:record:delete", args=[patient.pk, section, item.pk]), **HTMX)
    assert response.status_code == 200
    assert not model.objects.filter(pk=item.pk).exists()
    [entry] = entries(f"record.{model.__name__.lower()}.delete")
    assert entry.patient_id == patient.pk and entry.object_id == str(item.pk)


@pytest.mark.django_db
def test_delete_needs_post(org, patient, logged_in, doctor):
    item = Allergy.objects.create(patient=patient, substance="花粉", category="environment")
    response = logged_in(doctor).get(
        reverse("patients:record:delete", args=[patient.pk, "allergies", item.pk])
    )
    assert response.status_code == 405
    assert Allergy.objects.filter(pk=item.pk).exists()


@pytest.mark.django_db
def test_lifestyle_is_one_row_that_a_second_assessment_updates(org, patient, logged_in, nurse):
    _model, data, _role, _change = VALID["lifestyle"]
    client = logged_in(nurse)
    client.post(add_url(patient, "lifestyle"), data, **HTMX)
    client.post(
        add_url(patient, "lifestyle"), {**data, "smoking": "former", "cigarettes_per_day": ""}, **HTMX
    )
    lifestyle = Lifestyle.objects.get(patient=patient)
    assert lifestyle.smoking == "former" and lifestyle.cigarettes_per_day is None
    assert len(entries("record.lifestyle.create")) == 1 and len(entries("record.lifestyle.update")) == 1
    tab = client.get(tab_url(patient, "lifestyle"), **HTMX).content.decode()
    assert 'id="lifestyle-facts"' in tab


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept", "name"), [("zh-hans", "特发性（原发性）高血压"), ("en", "Essential (primary) hypertension")]
)
def test_condition_name_is_filled_from_the_code_in_the_users_language(
    accept, name, patient, doctor, logged_in
):
    _model, data, _role, _change = VALID["conditions"]
    logged_in(doctor).post(
        add_url(patient, "conditions"), {**data, "icd10_code": "i10"}, HTTP_ACCEPT_LANGUAGE=accept
    )
    condition = Condition.objects.get(patient=patient)
    assert (condition.icd10_code, condition.name) == ("I10", name)


@pytest.mark.django_db
def test_a_name_typed_by_the_clinician_is_kept(patient, doctor, logged_in):
    _model, data, _role, _change = VALID["conditions"]
    logged_in(doctor).post(add_url(patient, "conditions"), {**data, "name": "高血压2级"})
    assert Condition.objects.get(patient=patient).name == "高血压2级"


@pytest.mark.django_db
def test_medications_tab_splits_current_and_stopped(patient, doctor, logged_in):
    today = timezone.localdate()
    Medication.objects.create(
        patient=patient, name="二甲双胍片", start_date=today - datetime.timedelta(days=90)
    )
    Medication.objects.create(
        patient=patient, name="阿司匹林肠溶片", stop_date=today - datetime.timedelta(days=1)
    )
    Medication.objects.create(
        patient=patient, name="阿托伐他汀钙片", stop_date=today + datetime.timedelta(days=30)
    )
    body = logged_in(doctor).get(tab_url(patient, "medications"), **HTMX).content.decode()
    current, stopped = body.split('id="medications-stopped"')
    assert "二甲双胍片" in current and "阿托伐他汀钙片" in current and "阿司匹林肠溶片" not in current
    assert "阿司匹林肠溶片" in stopped and "二甲双胍片" not in stopped


@pytest.mark.django_db
def test_encounters_tab_shows_type_dates_department_diagnoses_and_procedures(patient, doctor, logged_in):
    Encounter.objects.create(
        patient=patient, encounter_class="inpatient", department="心内科", diagnoses="急性心肌梗死",
        procedures="PCI", admitted_at=datetime.datetime(2024, 1, 2, 1, 0, tzinfo=datetime.UTC),
        discharged_at=datetime.datetime(2024, 1, 9, 2, 30, tzinfo=datetime.UTC),
    )  # fmt: skip
    body = logged_in(doctor).get(tab_url(patient, "encounters"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for text in ["Inpatient", "2024-01-02 09:00", "2024-01-09 10:30", "心内科", "急性心肌梗死", "PCI"]:
        assert text in body


@pytest.mark.django_db
@pytest.mark.parametrize("section", SECTIONS)
def test_receptionist_cannot_see_the_record_tabs(section, patient, receptionist, logged_in):
    client = logged_in(receptionist)
    assert client.get(tab_url(patient, section)).status_code == 403
    assert client.get(add_url(patient, section)).status_code == 403
    detail = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert f'data-tab="{section}"' not in detail


@pytest.mark.django_db
def test_nurse_cannot_add_a_condition_but_can_add_an_allergy(patient, nurse, logged_in):
    client = logged_in(nurse)
    response = client.post(add_url(patient, "conditions"), VALID["conditions"][1], **HTMX)
    assert response.status_code == 403
    assert not Condition.objects.exists()
    response = client.post(add_url(patient, "allergies"), VALID["allergies"][1], **HTMX)
    assert response.status_code == 200
    assert Allergy.objects.filter(patient=patient, substance="青霉素").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("section", "nurse_may_edit"),
    [("conditions", False), ("medications", False), ("encounters", False),
     ("allergies", True), ("lifestyle", True), ("family-history", True)],
)  # fmt: skip
def test_buttons_show_only_what_the_user_may_do(section, nurse_may_edit, patient, nurse, logged_in):
    model, data, _role, _change = VALID[section]
    if section == "conditions":
        Condition.objects.create(patient=patient, icd10_code="I10", name="高血压")
    elif section == "medications":
        Medication.objects.create(patient=patient, name="氨氯地平片")
    elif section == "encounters":
        Encounter.objects.create(patient=patient, admitted_at=timezone.now())
    else:
        logged_in(make_user(patient.organization, "doctor")).post(add_url(patient, section), data)
    item = model.objects.get(patient=patient)
    body = logged_in(nurse).get(tab_url(patient, section), **HTMX).content.decode()
    assert (add_url(patient, section) in body) is nurse_may_edit
    assert (reverse("patients:record:delete", args=[patient.pk, section, item.pk]) in body) is nurse_may_edit
    edit = logged_in(nurse).get(reverse("patients:record:edit", args=[patient.pk, section, item.pk]))
    assert edit.status_code == (200 if nurse_may_edit else 403)


@pytest.mark.django_db
def test_nurse_cannot_delete_a_condition(patient, nurse, logged_in):
    item = Condition.objects.create(patient=patient, icd10_code="I10", name="高血压")
    response = logged_in(nurse).post(
        reverse("patients:record:delete", args=[patient.pk, "conditions", item.pk])
    )
    assert response.status_code == 403
    assert Condition.objects.filter(pk=item.pk).exists()


@pytest.mark.django_db
def test_a_patient_of_another_organization_does_not_exist(other_org, doctor, logged_in):
    stranger = make_patient(make_user(other_org, "doctor"), name="李四")
    item = Condition.objects.create(patient=stranger, icd10_code="I10", name="高血压")
    client = logged_in(doctor)
    urls = [
        tab_url(stranger, "conditions"),
        add_url(stranger, "conditions"),
        reverse("patients:record:edit", args=[stranger.pk, "conditions", item.pk]),
        reverse("patients:record:icd10", args=[stranger.pk]) + "?q=I10",
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.post(add_url(stranger, "conditions"), VALID["conditions"][1]).status_code == 404
    assert (
        client.post(reverse("patients:record:delete", args=[stranger.pk, "conditions", item.pk])).status_code
        == 404
    )
    assert Condition.objects.filter(patient=stranger).count() == 1


@pytest.mark.django_db
def test_a_row_of_another_patient_cannot_be_edited_through_this_one(org, patient, doctor, logged_in):
    other = make_patient(doctor, name="王五")
    item = Condition.objects.create(patient=other, icd10_code="I10", name="高血压")
    client = logged_in(doctor)
    assert (
        client.get(reverse("patients:record:edit", args=[patient.pk, "conditions", item.pk])).status_code
        == 404
    )
    url = reverse("patients:record:delete", args=[patient.pk, "conditions", item.pk])
    assert client.post(url).status_code == 404
    assert Condition.objects.filter(pk=item.pk).exists()


@pytest.mark.django_db
def test_unknown_section_is_404(patient, doctor, logged_in):
    assert logged_in(doctor).get(add_url(patient, "secrets")).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("section", ["conditions", "medications", "encounters"])
def test_tab_query_count_does_not_grow_with_rows(
    section, patient, doctor, logged_in, django_assert_max_num_queries
):
    client = logged_in(doctor)

    def add(n):
        for i in range(n):
            if section == "conditions":
                Condition.objects.create(patient=patient, icd10_code="E11.9", name=f"糖尿病{i}")
            elif section == "medications":
                Medication.objects.create(
                    patient=patient, name=f"药{i}", stop_date=datetime.date(2020, 1, 1 + i % 2)
                )
            else:
                Encounter.objects.create(patient=patient, admitted_at=timezone.now())

    add(1)
    with CaptureQueriesContext(connection) as one:
        client.get(tab_url(patient, section))
    add(7)
    with django_assert_max_num_queries(len(one.captured_queries)) as eight:
        response = client.get(tab_url(patient, section))
    assert response.status_code == 200
    table = VALID[section][0]._meta.db_table
    assert [q["sql"] for q in eight.captured_queries].count(None) == 0
    assert sum(f'"{table}"' in q["sql"] for q in eight.captured_queries) == 1  # the rows, in one query


@pytest.mark.django_db
def test_add_form_inline_is_a_fragment_and_without_htmx_a_page(patient, doctor, logged_in):
    client = logged_in(doctor)
    fragment = client.get(add_url(patient, "conditions"), **HTMX).content.decode()
    assert "<html" not in fragment and 'hx-target="#tab-panel"' in fragment
    assert reverse("patients:record:icd10", args=[patient.pk]) in fragment and "<datalist" in fragment
    page = client.get(add_url(patient, "conditions")).content.decode()
    assert "<html" in page and 'id="record-form"' in page and "hx-post" not in page


@pytest.mark.django_db
@pytest.mark.parametrize(("params", "expected"), [({"q": "gxy"}, "I10"), ({"icd10_code": "e11.9"}, "E11.9")])
def test_icd10_suggestions_are_datalist_options(params, expected, patient, doctor, logged_in):
    response = logged_in(doctor).get(reverse("patients:record:icd10", args=[patient.pk]), params)
    body = response.content.decode()
    assert response.status_code == 200
    assert f'<option value="{expected}"' in body
    assert body.count("<option") <= 20


@pytest.mark.django_db
def test_icd10_suggestions_need_the_record_permission(patient, receptionist, logged_in):
    response = logged_in(receptionist).get(reverse("patients:record:icd10", args=[patient.pk]), {"q": "I10"})
    assert response.status_code == 403


@pytest.mark.django_db
def test_an_empty_post_shows_the_required_fields_and_saves_nothing(patient, nurse, logged_in):
    response = logged_in(nurse).post(add_url(patient, "allergies"), {}, **HTMX)
    assert response.status_code == 200
    assert {"substance", "category"} <= set(response.context["form"].errors)
    assert not Allergy.objects.exists()
