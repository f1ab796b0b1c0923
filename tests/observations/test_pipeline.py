"""The import pipeline end to end.

Files in; observations, reports, encounters, problems and the unmatched queue out.
"""

import datetime
from pathlib import Path

import orjson
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from careloop.accounts.models import AuditEntry
from careloop.observations.actions import do_match_unmatched
from careloop.observations.importing.pipeline import run_import
from careloop.observations.models import (
    ImportBatch,
    ImportProblem,
    Observation,
    ObservationVersion,
    UnmatchedResult,
)
from careloop.observations.sources import formats
from careloop.patients.models import Encounter
from tests.factories import make_patient, resident_id
from tests.observations.helpers import results_xlsx, yearly_glucose_rows

SAMPLES = Path(__file__).parent / "samples"


def run(org, data: bytes, filename: str, mode: str = "keep_good", source: str = "HOSP-A"):
    batch = ImportBatch.objects.create(
        organization=org, kind=formats.kind_for(filename), filename=filename, mode=mode
    )
    return run_import(batch, formats.read_chunks(data, filename, source, {}))


@pytest.fixture
def wang(doctor):
    """The patient of the HL7 samples (PID-3 carries her resident ID number)."""
    return make_patient(
        doctor,
        name="王小明",
        id_number="11010519491231002X",
        birth_date=datetime.date(1949, 12, 31),
        sex="female",
    )


@pytest.mark.django_db
def test_excel_with_two_bad_rows_keeps_the_good_rows_and_reports_the_bad(org, doctor):
    patient = make_patient(doctor, name="赵敏")
    rows = yearly_glucose_rows(patient.id_number, patient.name, [5.4, 5.9, 6.3, 6.8])
    rows.insert(
        1, [patient.id_number, "", patient.name, "", "", "收缩压", "1200", "mmHg", "2022-03-05 08:30"]
    )
    rows.append(
        [patient.id_number, "", patient.name, "", "", "空腹血糖", "5.6", "furlongs", "2025-03-05 08:30"]
    )
    batch, _problems = run(org, results_xlsx(rows), "checks.xlsx")
    assert batch.status == "done"
    assert (batch.created, batch.refused) == (4, 2)
    assert Observation.objects.filter(patient=patient, code="1558-6").count() == 4
    stored = {(p.location, p.code) for p in ImportProblem.objects.filter(batch=batch)}
    assert stored == {("row 3", "implausible"), ("row 7", "unknown_unit")}
    assert [o.flag for o in Observation.objects.filter(patient=patient).order_by("effective_at")] == [
        "normal", "normal", "high", "high"
    ]  # fmt: skip


@pytest.mark.django_db
def test_reimporting_the_same_file_adds_nothing(org, doctor):
    patient = make_patient(doctor)
    data = results_xlsx(yearly_glucose_rows(patient.id_number, patient.name, [5.4, 5.9, 6.3]))
    first, _ = run(org, data, "a.xlsx")
    second, _ = run(org, data, "a.xlsx")
    assert (first.created, second.created, second.unchanged) == (3, 0, 3)
    assert Observation.objects.count() == 3


@pytest.mark.django_db
def test_a_corrected_value_updates_the_row_and_keeps_history(org, doctor):
    patient = make_patient(doctor)
    run(org, results_xlsx(yearly_glucose_rows(patient.id_number, patient.name, [5.4])), "a.xlsx")
    batch, _ = run(org, results_xlsx(yearly_glucose_rows(patient.id_number, patient.name, [6.4])), "a.xlsx")
    assert batch.updated == 1
    obs = Observation.objects.get()
    assert (obs.value, obs.version) == (6.4, 2)
    assert ObservationVersion.objects.get().value == 5.4


@pytest.mark.django_db
def test_all_or_nothing_refuses_the_whole_file_and_records_why(org, doctor):
    patient = make_patient(doctor)
    rows = yearly_glucose_rows(patient.id_number, patient.name, [5.4, 5.9])
    rows.append([patient.id_number, "", patient.name, "", "", "收缩压", "1200", "mmHg", "2024-03-05 08:30"])
    batch, _problems = run(org, results_xlsx(rows), "b.xlsx", mode="all_or_nothing")
    assert batch.status == "refused"
    assert Observation.objects.count() == 0
    assert ImportProblem.objects.filter(batch=batch).count() == 1
    assert AuditEntry.objects.filter(action="import.finish", object_id=str(batch.pk)).exists()


@pytest.mark.django_db
def test_results_of_an_unknown_patient_wait_in_the_queue_until_matched_by_hand(org, doctor):
    stranger_id = resident_id(datetime.date(1970, 1, 2), sequence=455)
    rows = yearly_glucose_rows(stranger_id, "陌生人", [5.0, 5.5])
    batch, _ = run(org, results_xlsx(rows), "c.xlsx")
    assert (batch.created, batch.unmatched) == (0, 2)
    parked = UnmatchedResult.waiting(org.pk)
    assert parked.count() == 2
    assert UnmatchedResult.objects.filter(kind="report").count() == 2  # kept, filed with the results
    first = parked.first()
    assert first is not None
    assert stranger_id not in str(first.record)  # identifiers are kept encrypted, not in the JSON
    patient = make_patient(
        doctor, name="陌生人", id_number=resident_id(datetime.date(1970, 1, 2), sequence=457)
    )
    filed = do_match_unmatched(doctor, first, patient)
    assert filed == 2
    assert Observation.objects.filter(patient=patient).count() == 2
    assert not UnmatchedResult.objects.filter(resolved_at__isnull=True).exists()


@pytest.mark.django_db
def test_hl7_results_and_admissions_are_imported_and_the_mrn_is_remembered(org, wang):
    batch, problems = run(org, (SAMPLES / "oru_checkup_utf8.hl7").read_bytes(), "oru.hl7")
    assert batch.created >= 8
    assert Observation.objects.filter(patient=wang, code="4548-4").get().value == 6.1
    assert Observation.objects.filter(patient=wang).exclude(flag="normal").exists()
    assert {p.code for p in problems} <= {"unknown_code", "unknown_value", "unknown_unit"}
    zhao = make_patient(
        wang.responsible_doctor or doctor_of(org),
        name="赵建国",
        id_number="440305196002120039",
        birth_date=datetime.date(1960, 2, 12),
        sex="male",
    )
    run(org, (SAMPLES / "adt_admit_update_discharge.hl7").read_bytes(), "adt.hl7")
    stay = Encounter.objects.get(patient=zhao)  # admit, update and discharge of one visit: one encounter
    assert (stay.encounter_class, stay.department, stay.source_id) == ("inpatient", "心内科", "V20240401001")
    assert stay.discharged_at is not None and "I20.0" in stay.diagnoses


def doctor_of(org):
    from tests.factories import make_user

    return make_user(org, "doctor")


@pytest.mark.django_db
def test_import_command_reports_counts_and_refuses_bad_arguments(org, doctor, tmp_path, capsys):
    patient = make_patient(doctor)
    path = tmp_path / "checks.xlsx"
    path.write_bytes(results_xlsx(yearly_glucose_rows(patient.id_number, patient.name, [5.4, 5.9])))
    call_command("import", str(path), organization=org.code, no_progress=True)
    assert "新增 2 条" in capsys.readouterr().out  # the site's language, zh-Hans
    with translation.override("en"):
        call_command("import", str(path), organization=org.code, no_progress=True)
        assert "0 new, 0 corrected, 2 already there" in capsys.readouterr().out
        with pytest.raises(CommandError, match="no such file"):
            call_command("import", str(tmp_path / "missing.csv"), organization=org.code)
        with pytest.raises(CommandError, match="no organization"):
            call_command("import", str(path), organization="nope")
    with pytest.raises(CommandError, match="文件不存在"):
        call_command("import", str(tmp_path / "missing.csv"), organization=org.code)


@pytest.mark.django_db
def test_import_command_refuses_a_malformed_column_mapping(org, tmp_path):
    path = tmp_path / "checks.csv"
    path.write_bytes("身份证号,检查项目,结果\n".encode())
    with pytest.raises(CommandError, match=r"--map 'id_number'.*字段=表头"):
        call_command("import", str(path), organization=org.code, map=["id_number"], no_progress=True)
    assert not ImportBatch.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("filename", ["results.ndjson", "results.csv"])
def test_a_result_dated_in_the_future_is_refused_with_its_reason_and_the_rest_stored(org, doctor, filename):
    patient = make_patient(doctor)
    uric_acid = "3084-1"
    if filename.endswith(".ndjson"):
        subject = {"identifier": {"system": "urn:oid:2.16.156.10011.1.3", "value": patient.id_number}}
        lines = [
            {
                "resourceType": "Observation",
                "id": f"u{year}",
                "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": uric_acid}]},
                "subject": subject,
                "effectiveDateTime": f"{year}-01-01T08:00:00+08:00",
                "valueQuantity": {"value": 400, "unit": "umol/L", "code": "umol/L"},
            }
            for year in (2025, 2031)
        ]
        data = b"\n".join(orjson.dumps(line) for line in lines)
    else:
        rows = ["身份证号,检查项目,结果,单位,检查时间"]
        rows += [f"{patient.id_number},{uric_acid},400,umol/L,{year}-01-01 08:00" for year in (2025, 2031)]
        data = "\n".join(rows).encode()
    batch, problems = run(org, data, filename)
    assert (batch.created, batch.refused) == (1, 1)
    assert [(p.code, p.field) for p in problems] == [("future", "time")]
    assert "2031-01-01 08:00" in problems[0].reason and "in the future" in problems[0].reason
    assert [o.effective_at.year for o in Observation.objects.filter(patient=patient)] == [2025]
