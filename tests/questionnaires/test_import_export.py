"""FHIR JSON import and export of definitions, and the export of answers as CSV and NDJSON."""

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from careloop.accounts.models import AuditEntry
from careloop.questionnaires.actions import do_record_answer
from careloop.questionnaires.instruments import SHIPPED, instrument_json
from careloop.questionnaires.models import Questionnaire, QuestionnaireVersion
from tests.factories import make_patient, make_user
from tests.questionnaires.sample import sample
from tests.questionnaires.test_answers import answers_scoring, phq9

pytestmark = pytest.mark.django_db


def import_json(client, definition, **fields):
    data = {"text": json.dumps(definition, ensure_ascii=False), "target": "new", "language": "en", **fields}
    return client.post(reverse("questionnaires:import"), data)


def export(client, version):
    response = client.get(
        reverse("questionnaires:export_version", args=[version.questionnaire_id, version.pk])
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("application/fhir+json")
    return json.loads(response.content)


@pytest.mark.parametrize(("key", "language"), SHIPPED)
def test_export_import_export_gives_the_same_json_for_every_shipped_instrument(
    client, org, admin_user, key, language
):
    client.force_login(admin_user)
    first = import_json(client, instrument_json(key, language), key=f"{key}-copy", language=language)
    assert first.status_code == 302
    exported = export(client, QuestionnaireVersion.objects.get(questionnaire__key=f"{key}-copy"))
    assert exported["resourceType"] == "Questionnaire" and exported["item"]
    assert import_json(client, exported, key=f"{key}-again", language=language).status_code == 302
    again = export(client, QuestionnaireVersion.objects.get(questionnaire__key=f"{key}-again"))
    assert again == exported


def test_a_questionnaire_written_by_another_tool_imports_and_is_audited(client, org, admin_user):
    client.force_login(admin_user)
    upload = SimpleUploadedFile("sample.json", json.dumps(sample()).encode(), "application/json")
    response = client.post(
        reverse("questionnaires:import"), {"file": upload, "target": "new", "key": "sample", "language": "en"}
    )
    questionnaire = Questionnaire.objects.get(organization=org, key="sample")
    assert response.url == reverse("questionnaires:builder", args=[questionnaire.pk])
    assert questionnaire.status == "active" and questionnaire.title == "Sample follow-up"
    entry = AuditEntry.objects.get(action="questionnaire.import")
    assert entry.detail["version"] == 1 and entry.actor == admin_user


def test_import_errors_name_the_item_and_nothing_is_stored(client, org, admin_user):
    client.force_login(admin_user)
    broken = sample()
    broken["item"][0]["item"][2]["enableWhen"][0]["question"] = "nowhere"
    broken["item"][1]["type"] = "slider"
    response = import_json(client, broken, key="broken")
    assert response.status_code == 400
    problems = response.content.decode().split('id="import-problems"')[1]
    assert "<code>per-day</code>" in problems and "nowhere" in problems
    assert "<code>temperature</code>" in problems and "slider" in problems
    assert not Questionnaire.objects.filter(organization=org, key="broken").exists()
    assert not AuditEntry.objects.filter(action="questionnaire.import").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    # "Choose a file or paste the JSON", "This is not JSON", in the staff's Chinese.
    [("", "请选择文件或粘贴 JSON"), ("{not json", "不是有效的 JSON"), ("[" * 100_000, "不是有效的 JSON")],
)
def test_what_is_not_json_is_refused(client, admin_user, text, message):
    client.force_login(admin_user)
    data = {"text": text, "target": "new", "key": "x", "language": "en"}
    response = client.post(reverse("questionnaires:import"), data)
    assert response.status_code == 400 and message in response.content.decode()


@override_settings(QUESTIONNAIRE_IMPORT_MAX_BYTES=1000)
def test_a_file_over_the_limit_is_refused_before_it_is_read(client, org, admin_user):
    client.force_login(admin_user)
    upload = SimpleUploadedFile("big.json", json.dumps(sample()).encode(), "application/json")
    response = client.post(
        reverse("questionnaires:import"), {"file": upload, "target": "new", "key": "big", "language": "en"}
    )
    assert response.status_code == 400 and "JSON 超过" in response.content.decode()  # "larger than"
    assert not Questionnaire.objects.filter(organization=org, key="big").exists()


def test_importing_a_new_version_keeps_the_answers_on_the_old_one(client, org, admin_user, nurse, patient):
    version = phq9(org)
    answer = do_record_answer(nurse, patient, version, answers_scoring(version, (2,) * 9))
    client.force_login(admin_user)
    changed = {**instrument_json("phq-9", "zh"), "title": "PHQ-9 (2027 wording)"}
    response = import_json(client, changed, target=str(version.questionnaire_id))
    assert response.status_code == 302
    assert [v.number for v in version.questionnaire.versions.order_by("number")] == [1, 2]
    answer.refresh_from_db()
    assert answer.version_id == version.pk
    assert AuditEntry.objects.get(action="questionnaire.import").detail["outcome"] == "new"


def test_an_import_in_another_language_than_the_questionnaires_is_refused(client, org, admin_user):
    version = phq9(org)  # Chinese
    client.force_login(admin_user)
    response = import_json(client, instrument_json("phq-9", "en"), target=str(version.questionnaire_id))
    assert response.status_code == 400 and "does not match" in response.content.decode()
    response = import_json(client, instrument_json("gad-7", "zh"), key="gad", language="en")
    assert response.status_code == 400
    assert version.questionnaire.versions.count() == 1
    assert not Questionnaire.objects.filter(organization=org, key="gad").exists()


def test_an_import_cannot_target_another_organizations_questionnaire(client, org, admin_user, other_org):
    theirs = phq9(other_org)
    client.force_login(admin_user)
    response = import_json(client, instrument_json("phq-9", "zh"), target=str(theirs.questionnaire_id))
    assert response.status_code == 400
    assert theirs.questionnaire.versions.count() == 1


@pytest.fixture
def answered(org, nurse, patient):
    """PHQ-9 answered on version 1 and on version 2, by two patients."""
    first = phq9(org)
    do_record_answer(nurse, patient, first, answers_scoring(first, (3, 3, 2, 3, 2, 2, 3, 2, 1)))
    second = QuestionnaireVersion.objects.create(
        questionnaire=first.questionnaire, number=2, definition={**first.definition, "title": "PHQ-9 v2"}
    )
    other = make_patient(nurse, name="李四", mobile="13912345678")
    do_record_answer(nurse, other, second, answers_scoring(second, (0,) * 9))
    return first.questionnaire, patient, other


def test_the_csv_has_one_row_per_answer_with_its_version_total_and_band(client, admin_user, answered):
    questionnaire, patient, other = answered
    client.force_login(admin_user)
    response = client.get(
        reverse("questionnaires:export_csv", args=[questionnaire.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200 and response.streaming
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    header, data = rows[0], rows[1:]
    assert header[:6] == ["answer", "answered at", "version", "patient id", "patient name", "channel"]
    assert header[6:15] == [str(n) for n in range(1, 10)] and header[-3:] == [
        "44261-6 total",
        "44261-6 band",
        "flags",
    ]
    assert [(r[2], r[3], r[4], r[-3], r[-2]) for r in data] == [
        ("1", str(patient.pk), patient.name, "21", "severe"),
        ("2", str(other.pk), "李四", "0", "none-minimal"),
    ]
    assert data[0][-1]  # PHQ-9 item 9 >= 1 raised its flag
    for secret in (patient.id_number, patient.mobile, other.mobile):
        assert secret not in body
    entry = AuditEntry.objects.get(action="questionnaire.export")
    assert entry.detail["format"] == "csv" and entry.detail["answers"] == 2


def test_the_ndjson_has_one_questionnaire_response_per_line(client, admin_user, answered):
    questionnaire, patient, other = answered
    client.force_login(admin_user)
    response = client.get(reverse("questionnaires:export_ndjson", args=[questionnaire.pk]))
    lines = b"".join(response.streaming_content).decode().splitlines()
    resources = [json.loads(line) for line in lines]
    assert [r["resourceType"] for r in resources] == ["QuestionnaireResponse"] * 2
    assert [r["subject"]["reference"] for r in resources] == [f"Patient/{patient.pk}", f"Patient/{other.pk}"]
    assert all(r["status"] == "completed" and r["item"] for r in resources)
    assert AuditEntry.objects.get(action="questionnaire.export").detail["format"] == "ndjson"


def test_exporting_answers_needs_the_record_permission_too(client, org, answered, monkeypatch):
    from careloop.accounts import roles

    questionnaire = answered[0]
    admin = make_user(org, "admin")
    without = roles.ROLE_PERMISSIONS[roles.Role.ADMIN] - {roles.Perm.RECORD_VIEW}
    monkeypatch.setitem(roles.ROLE_PERMISSIONS, roles.Role.ADMIN, without)
    client.force_login(admin)
    assert client.get(reverse("questionnaires:export_csv", args=[questionnaire.pk])).status_code == 403
    assert not AuditEntry.objects.filter(action="questionnaire.export").exists()
