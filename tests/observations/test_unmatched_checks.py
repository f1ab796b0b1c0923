"""A result for a patient we do not know is checked as a known patient's would be, before it waits."""

import datetime

import pytest

from careloop.observations.management.commands.mllp import receive
from careloop.observations.models import ImportProblem, Observation, UnmatchedResult
from careloop.observations.sources.hl7v2.peers import Peer
from tests.factories import make_patient

KNOWN_ID = "11010519491231002X"
STRANGER_ID = "440305196002120039"
PEER = Peer("127.0.0.1", 0)

# (OBX, the problem's code): what a hospital sends wrong, the way it arrives.
REFUSED = [
    ("OBX|1|NM|8480-6^SBP^LN||1200|mm[Hg]|90-139||||F|||20240315080000", "implausible"),
    ("OBX|1|NM|8480-6^SBP^LN||130|furlongs|90-139||||F|||20240315080000", "unknown_unit"),
    ("OBX|1|NM|99999-9^Unknown^LN||5.0|mmol/L|||||F|||20240315080000", "unknown_code"),
    ("OBX|1|NM|8480-6^SBP^LN||130|mm[Hg]|90-139||||F|||20990315080000", "future"),
]


def oru(id_number: str, obx: str, control: str = "C1") -> bytes:
    segments = [
        rf"MSH|^~\&|LIS|HOSP-A|CARELOOP|CL|20240315103000||ORU^R01^ORU_R01|{control}|P|2.5.1",
        f"PID|1||MR-{id_number[-4:]}^^^HOSP-A^MR~{id_number}^^^^ID||王小明||19491231|F",
        "OBR|1|PL9|FL9|HC01^体检^L|||20240315080000",
        obx,
    ]
    return "\r".join(segments).encode() + b"\r"


def answer(org, message: bytes) -> tuple[bytes, list[bytes]]:
    """MSA-1 and the ERR segments of the acknowledgement."""
    segments = receive(org.pk, message, PEER).split(b"\r")
    code = next(s for s in segments if s.startswith(b"MSA")).split(b"|")[1]
    return code, [s for s in segments if s.startswith(b"ERR")]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("obx", "code"), REFUSED, ids=[code for _obx, code in REFUSED])
def test_a_result_refused_for_a_known_patient_is_refused_alike_for_an_unknown_one(org, doctor, obx, code):
    make_patient(
        doctor, name="王小明", sex="female", id_number=KNOWN_ID, birth_date=datetime.date(1949, 12, 31)
    )

    known = answer(org, oru(KNOWN_ID, obx, "K1"))
    unknown = answer(org, oru(STRANGER_ID, obx, "U1"))

    assert known[0] == unknown[0] == b"AE"
    assert [err.split(b"|")[3:] for err in known[1]] == [err.split(b"|")[3:] for err in unknown[1]]
    problems = ImportProblem.objects.order_by("id")
    assert [p.code for p in problems] == [code, code]
    assert problems[0].reason == problems[1].reason
    assert not UnmatchedResult.objects.filter(kind="result").exists()
    assert not Observation.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_plausible_result_for_an_unknown_patient_waits_and_is_accepted(org):
    code, errors = answer(
        org, oru(STRANGER_ID, "OBX|1|NM|8480-6^SBP^LN||132|mm[Hg]|90-139||||F|||20240315080000")
    )
    assert (code, errors) == (b"AA", [])
    waiting = UnmatchedResult.objects.get(kind="result")
    assert waiting.record["value"] == "132"
