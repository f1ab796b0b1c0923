import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from careloop.accounts.models import AuditEntry
from careloop.observations.models import ImportBatch, Observation, UnmatchedResult
from tests.factories import make_patient, make_user
from tests.observations.helpers import results_xlsx, yearly_glucose_rows

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def immediate_tasks(settings, tmp_path):
    settings.TASKS = IMMEDIATE
    settings.IMPORT_DIR = tmp_path


def upload(client, data: bytes, name: str, mode: str = "keep_good", callbacks=None):
    with callbacks(execute=True):
        return client.post(
            reverse("observations:imports"),
            {
                "file": SimpleUploadedFile(name, data),
                "mode": mode,
                "source_system": "TJ-CENTRE",
                "mapping": "",
            },
        )


@pytest.mark.django_db
def test_upload_with_two_bad_rows_shows_counts_and_a_downloadable_error_report(
    logged_in, nurse, doctor, immediate_tasks, django_capture_on_commit_callbacks, tmp_path
):
    patient = make_patient(doctor)
    rows = yearly_glucose_rows(patient.id_number, patient.name, [5.1, 5.6, 6.4])
    rows.append([patient.id_number, "", patient.name, "", "", "收缩压", "1200", "mmHg", "2024-05-01 09:00"])
    rows.append(
        [patient.id_number, "", patient.name, "", "", "空腹血糖", "abc", "mmol/L", "2024-05-01 09:00"]
    )
    client = logged_in(nurse)
    response = upload(client, results_xlsx(rows), "checks.xlsx", callbacks=django_capture_on_commit_callbacks)
    batch = ImportBatch.objects.get()
    assert response.url == reverse("observations:import_detail", args=[batch.pk])
    assert (batch.status, batch.created, batch.refused) == ("done", 3, 2)
    assert not list(tmp_path.iterdir())  # the uploaded file is removed once imported
    page = client.get(response.url).content.decode()
    assert 'id="count-created">3<' in page and 'id="download-errors"' in page
    report = client.get(reverse("observations:import_errors", args=[batch.pk]))
    lines = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode("utf-8-sig"))))
    assert len(lines) == 3 and lines[1][0].endswith("5") and lines[2][0].endswith("6")


@pytest.mark.django_db
def test_unsupported_file_type_is_refused_with_a_message_and_nothing_recorded(logged_in, nurse):
    response = logged_in(nurse).post(
        reverse("observations:imports"), {"file": SimpleUploadedFile("notes.docx", b"x"), "mode": "keep_good"}
    )
    assert response.status_code == 200
    assert "notes.docx" in response.content.decode()
    assert not ImportBatch.objects.exists()


@pytest.mark.django_db
def test_templates_download(logged_in, nurse):
    client = logged_in(nurse)
    xlsx = client.get(reverse("observations:import_template", args=["xlsx"]))
    assert xlsx.content[:2] == b"PK"
    csv_file = client.get(reverse("observations:import_template", args=["csv"]))
    assert csv_file.content.startswith(b"\xef\xbb\xbf")


@pytest.mark.django_db
def test_receptionist_cannot_import_and_other_organizations_batches_are_invisible(
    logged_in, receptionist, other_org
):
    assert logged_in(receptionist).get(reverse("observations:imports")).status_code == 403
    foreign = ImportBatch.objects.create(organization=other_org, kind="csv", filename="x.csv")
    nurse = make_user(receptionist.organization, "nurse")
    assert logged_in(nurse).get(reverse("observations:import_detail", args=[foreign.pk])).status_code == 404


@pytest.mark.django_db
def test_unmatched_results_are_listed_and_filed_under_the_chosen_patient(
    logged_in, nurse, doctor, immediate_tasks, django_capture_on_commit_callbacks
):
    client = logged_in(nurse)
    rows = yearly_glucose_rows("110101197001020457", "陌生人", [5.0, 5.5])
    upload(client, results_xlsx(rows), "c.xlsx", callbacks=django_capture_on_commit_callbacks)
    page = client.get(reverse("observations:unmatched")).content.decode()
    assert "陌生人" in page and "1101**********0457" in page and "110101197001020457" not in page
    item = UnmatchedResult.waiting(nurse.organization_id).first()
    assert item is not None
    reads = AuditEntry.objects.filter(action="unmatched.list", actor=nurse)
    assert any(item.pk in entry.detail["items"] for entry in reads)
    patient = make_patient(doctor, name="陌生人")
    candidates = client.get(reverse("observations:unmatched_candidates", args=[item.pk])).content.decode()
    assert f'value="{patient.pk}"' in candidates
    response = client.post(reverse("observations:unmatched_match", args=[item.pk]), {"patient": patient.pk})
    assert response.status_code == 302
    assert Observation.objects.filter(patient=patient).count() == 2
    # The health-check reports waited with their results, and are filed with them.
    assert patient.exam_reports.count() == 2
    assert not UnmatchedResult.objects.filter(resolved_at__isnull=True).exists()


@pytest.mark.django_db
def test_matching_to_another_organizations_patient_is_404(logged_in, nurse, other_org, org):
    item = UnmatchedResult.objects.create(organization=org, record={"code": "1558-6"})
    stranger = make_patient(make_user(other_org, "doctor"))
    response = logged_in(nurse).post(
        reverse("observations:unmatched_match", args=[item.pk]), {"patient": stranger.pk}
    )
    assert response.status_code == 404
    assert UnmatchedResult.objects.get().resolved_at is None


@pytest.mark.django_db
def test_malformed_column_mapping_names_the_line_and_records_nothing(logged_in, nurse):
    response = logged_in(nurse).post(
        reverse("observations:imports"),
        {
            "file": SimpleUploadedFile("a.csv", b"x"),
            "mode": "keep_good",
            "mapping": "id_number=证件号码\nindicator",
        },
    )
    assert response.status_code == 200
    assert "第 2 行" in response.content.decode()
    assert not ImportBatch.objects.exists()
