"""Uploads of the same results store once, whatever the file's encoding or name."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from careloop.observations.models import ImportBatch, Observation
from tests.factories import make_patient
from tests.observations.test_import_views import IMMEDIATE


def upload(client, data: bytes, name: str, callbacks) -> None:
    with callbacks(execute=True):
        client.post(
            reverse("observations:imports"),
            {"file": SimpleUploadedFile(name, data), "mode": "keep_good", "source_system": "", "mapping": ""},
        )


@pytest.mark.django_db
def test_three_rows_of_one_report_uploaded_as_utf8_and_as_gbk_are_stored_once(
    logged_in, nurse, doctor, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    settings.IMPORT_DIR = tmp_path
    patient = make_patient(doctor)
    rows = [("空腹血糖", "5.1"), ("总胆固醇", "4.1"), ("甘油三酯", "1.1")]
    text = "身份证号,姓名,检查项目,结果,单位,检查时间,报告编号\r\n" + "".join(
        f"{patient.id_number},{patient.name},{name},{value},mmol/L,2024-03-05 08:00,R20240305001\r\n"
        for name, value in rows
    )
    client = logged_in(nurse)
    upload(client, text.encode("utf-8"), "体检结果.csv", django_capture_on_commit_callbacks)
    upload(client, text.encode("gbk"), "体检结果-gbk.csv", django_capture_on_commit_callbacks)
    first, second = ImportBatch.objects.order_by("id")
    assert (first.created, second.created, second.unchanged) == (3, 0, 3)
    assert Observation.objects.count() == 3
