"""How result rows describe themselves (admin, logs, shell): useful, and never an identifier in full."""

import datetime

import pytest
from django.utils import timezone, translation

from careloop.observations.models import (
    ExamReport,
    ImportBatch,
    ImportProblem,
    Observation,
    ObservationVersion,
    PatientIdentifier,
    UnmatchedResult,
)

ID_NUMBER = "11010519491231002X"
AT = timezone.make_aware(datetime.datetime(2024, 3, 5, 8, 30))


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_import_rows_name_the_file_day_and_outcome():
    batch = ImportBatch(kind="csv", filename="checks.csv", status="done", started_at=AT)
    assert str(batch) == "checks.csv (2024-03-05, Done)"
    assert (
        str(ImportBatch(kind="hl7v2", origin="mllp", started_at=AT))
        == "HL7 v2 listener (2024-03-05, Running)"
    )
    problem = ImportProblem(location="row 7", field="value", value=ID_NUMBER, code="not_numeric")
    assert str(problem) == "row 7 value: Not a number"


def test_results_name_their_indicator_value_and_day():
    report = ExamReport(package="年度健康体检", institution="示范社区卫生服务中心", issued_at=AT)
    assert str(report) == "年度健康体检, 示范社区卫生服务中心, 2024-03-05"
    result = Observation(code="1558-6", value_reported="6.2", unit_reported="mmol/L", effective_at=AT)
    assert str(result) == "1558-6 = 6.2 mmol/L (2024-03-05)"
    old = ObservationVersion(version=1, value_reported="6.0", unit_reported="mmol/L", replaced_at=AT)
    assert str(old) == "version 1: 6.0 mmol/L (replaced 2024-03-05)"


def test_parked_results_and_source_identifiers_never_show_an_id_number():
    parked = UnmatchedResult(
        kind="result", patient_name="陌生人", patient_id_number=ID_NUMBER, received_at=AT, record={}
    )
    assert str(parked) == "result for 陌生人 (2024-03-05)"
    identifier = PatientIdentifier(system="HIS-A", value=ID_NUMBER)
    assert str(identifier) == "HIS-A: 1101**********002X"
