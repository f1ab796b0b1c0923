"""One import action: every way in stores the same rows for the same results, and says so in the audit."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from careloop.accounts.models import AuditEntry, Organization
from careloop.observations.actions import do_import
from careloop.observations.importing.inputs import FILES, FileInput
from careloop.observations.models import ImportBatch, Observation
from tests.factories import make_patient, make_user
from tests.observations.test_import_views import IMMEDIATE

# A stored row apart from its organization, patient and report (ids of their own) and the batch that wrote it.
COMPARED = [
    f.attname
    for f in Observation._meta.concrete_fields
    if f.attname
    not in {"id", "organization_id", "patient_id", "batch_id", "report_id", "created_at", "updated_at"}
]


def results_csv(id_number: str, name: str) -> bytes:
    rows = [
        ["身份证号", "姓名", "指标", "结果", "单位", "检查时间", "报告编号"],
        [id_number, name, "空腹血糖", "5.6", "mmol/L", "2024-05-01 09:00", "R-1"],
        [id_number, name, "收缩压", "132", "mmHg", "2024-05-01 09:00", "R-1"],
        [id_number, name, "尿酸", "401", "umol/L", "2024-05-01 09:00", "R-1"],
    ]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def stored(organization: Organization) -> list[tuple[object, ...]]:
    rows = Observation.objects.filter(organization=organization).order_by("code").values_list(*COMPARED)
    return list(rows)


@pytest.mark.django_db
def test_the_command_line_and_the_upload_store_identical_rows_for_the_same_file(
    org, doctor, logged_in, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.TASKS, settings.IMPORT_DIR = IMMEDIATE, tmp_path / "uploads"
    other = Organization.objects.create(name="二院", code="second")
    nurse = make_user(other, role="nurse")
    first = make_patient(doctor, name="王芳")
    second = make_patient(make_user(other, role="doctor"), name="王芳", id_number=first.id_number)
    data = results_csv(first.id_number, "王芳")
    path = tmp_path / "checks.csv"
    path.write_bytes(data)

    call_command("import", str(path), organization=org.code, no_progress=True, stdout=io.StringIO())
    with django_capture_on_commit_callbacks(execute=True):
        logged_in(nurse).post(
            reverse("observations:imports"),
            {"file": SimpleUploadedFile("other name.csv", data), "mode": "keep_good", "mapping": ""},
        )

    assert len(stored(org)) == 3
    assert stored(org) == stored(other)
    assert set(Observation.objects.filter(patient=second).values_list("source_system", flat=True)) == {FILES}
    by_origin = dict(ImportBatch.objects.values_list("origin", "created"))
    assert by_origin == {"command": 3, "upload": 3}


@pytest.mark.django_db
def test_the_same_file_under_another_name_adds_nothing(org, doctor):
    patient = make_patient(doctor, name="李雷")
    data = results_csv(patient.id_number, "李雷")
    first = do_import(None, org, FileInput(data, "may.csv", "command")).batch
    again = do_import(doctor, org, FileInput(data, "may (copy).csv", "upload")).batch
    assert (first.created, again.created, again.unchanged) == (3, 0, 3)


@pytest.mark.django_db
def test_an_import_writes_its_start_and_its_finish_with_who_started_it(org, doctor):
    patient = make_patient(doctor, name="韩梅")
    outcome = do_import(doctor, org, FileInput(results_csv(patient.id_number, "韩梅"), "a.csv", "upload"))
    entries = AuditEntry.objects.filter(
        action__startswith="import.", object_id=str(outcome.batch.pk)
    ).order_by("id")
    assert [(e.action, e.actor_id) for e in entries] == [("import.start", doctor.pk), ("import.finish", None)]
    assert entries[0].detail == {"file": "a.csv", "origin": "upload", "mode": "keep_good"}
    assert (outcome.batch.started_by, outcome.batch.status) == (doctor, "done")


@pytest.mark.django_db
def test_an_unknown_mode_is_refused_before_anything_is_recorded(org):
    with pytest.raises(ValueError, match="import mode"):
        do_import(None, org, FileInput(b"", "a.csv", "command"), "some")
    assert not ImportBatch.objects.exists()
