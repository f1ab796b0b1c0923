"""A record whose identifier finds a patient it contradicts is never filed under that patient silently."""

import datetime

import pytest
from django.utils import translation

from careloop.observations.actions import do_import
from careloop.observations.importing.inputs import FileInput
from careloop.observations.importing.problemkinds import reason_text
from careloop.observations.management.commands.mllp import receive
from careloop.observations.models import ImportProblem, Observation, UnmatchedResult
from careloop.observations.sources.hl7v2.peers import Peer
from tests.factories import make_patient
from tests.observations.helpers import results_xlsx, yearly_glucose_rows

OUYANG_ID = "11010519491231002X"


@pytest.fixture
def ouyang(doctor):
    return make_patient(
        doctor, name="欧阳晓燕", sex="female", birth_date=datetime.date(1949, 12, 31), id_number=OUYANG_ID
    )


def upload(org, name: str, sex: str) -> tuple[int, int, int]:
    rows = yearly_glucose_rows(OUYANG_ID, name, [5.1, 5.6, 6.4])
    for row in rows:
        row[3] = sex
    batch = do_import(None, org, FileInput(results_xlsx(rows), "checks.xlsx", "upload")).batch
    return batch.created, batch.unmatched, batch.refused


@pytest.mark.django_db
def test_a_row_with_her_id_number_but_another_name_and_sex_waits_for_review(org, ouyang):
    assert upload(org, "张三", "男") == (0, 3, 1)

    assert not Observation.objects.filter(patient=ouyang).exists()
    waiting = UnmatchedResult.waiting(org.pk)
    assert waiting.count() == 3 and {item.why for item in waiting} == {"contradiction"}
    problem = ImportProblem.objects.get()
    assert (problem.code, problem.location) == ("contradiction", "row 2")
    with translation.override("zh-hans"):
        shown = reason_text(problem.reason, problem.reason_template, problem.reason_params)
        assert "与该标识对应患者的不符" in shown


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "sex"), [("欧阳晓燕", "女"), ("欧阳 晓燕", ""), ("", "")])
def test_a_row_that_agrees_with_the_patient_or_says_nothing_is_filed(org, ouyang, name, sex):
    assert upload(org, name, sex) == (3, 0, 0)
    assert Observation.objects.filter(patient=ouyang).count() == 3


@pytest.mark.django_db(transaction=True)
def test_an_hl7_message_contradicting_the_patient_is_answered_ae_with_the_reason_and_kept(org, ouyang):
    message = (
        "\r".join(
            [
                r"MSH|^~\&|LIS|HOSP-A|CARELOOP|CL|20240315103000||ORU^R01^ORU_R01|C7|P|2.5.1",
                f"PID|1||{OUYANG_ID}^^^^ID||张三||19700101|M",
                "OBR|1|PL9|FL9|HC01^体检^L|||20240315080000",
                "OBX|1|NM|1558-6^Glucose^LN||5.4|mmol/L|3.9-6.1||||F|||20240315080000",
            ]
        ).encode()
        + b"\r"
    )
    answer = receive(org.pk, message, Peer("127.0.0.1", 0)).split(b"\r")
    assert next(s for s in answer if s.startswith(b"MSA")).split(b"|")[1] == b"AE"
    assert any(b"differ" in s for s in answer if s.startswith(b"ERR"))
    assert not Observation.objects.exists()
    assert UnmatchedResult.waiting(org.pk).get().why == "contradiction"
