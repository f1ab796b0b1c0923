"""A hospital's feed over a real MLLP connection: a result queued for a stranger, the admission that
registers them (the result is filed), results landing on them, an update, a second record of the same man
registered under a mistyped birth date, and the A40 that merges the two."""

import pytest

from careloop.observations.models import ImportBatch, Observation
from careloop.observations.sources.hl7v2.mllp import send
from careloop.patients.identity import id_number_index
from careloop.patients.models import Encounter, Patient
from tests.observations.helpers import address, importing_listener
from tests.observations.test_mllp_import import msa

pytestmark = pytest.mark.django_db(transaction=True)
QIAN_ID = "110105197005010035"


def message(kind: str, control: str, *segments: str) -> bytes:
    head = rf"MSH|^~\&|HIS|HOSP-A|CARELOOP|CL|20261201090000||{kind}|{control}|P|2.5"
    return ("\r".join([head, *segments]) + "\r").encode()


def pid(mrn: str, birth: str = "19700501", more: str = "", mobile: str = "13605710001") -> str:
    return f"PID|1||{mrn}^^^HOSP-A^MR{more}||钱伟||{birth}|M|||^^杭州市^浙江省||^PRN^CP^^^^^^^^^{mobile}"


def glucose(control: str, mrn: str, value: str, hour: str, birth: str = "19700501") -> bytes:
    return message(
        "ORU^R01^ORU_R01",
        control,
        f"PID|1||{mrn}^^^HOSP-A^MR||钱伟||{birth}|M",
        f"OBR|1|P{control}|F{control}|GLU^血糖^L|||20261201{hour}0000",
        f"OBX|1|NM|1558-6^Glucose^LN||{value}|mmol/L|3.9-6.1||||F|||20261201{hour}0000",
    )


def admit(
    control: str, mrn: str, birth: str = "19700501", more: str = "", mobile: str = "13605710001"
) -> bytes:
    visit = "PV1|1|I|内科" + "|" * 16 + f"V-{control}"
    return message("ADT^A01", control, "EVN|A01|20261201090000", pid(mrn, birth, more, mobile), visit)


def test_a01_registers_oru_lands_a08_updates_a40_merges(org):
    update = message(
        "ADT^A08",
        "ADT-3",
        "EVN|A08|20261202090000",
        pid("H-3001", more=f"~{QIAN_ID}^^^^ID").replace("^^杭州市^浙江省", "^^宁波市^浙江省"),
    )
    a40 = message(
        "ADT^A40^ADT_A39", "ADT-5", "EVN|A40|20261203090000", pid("H-3001"), "MRG|H-3002^^^HOSP-A^MR"
    )
    with importing_listener(org) as listener:
        answers = send(
            *address(listener),
            [
                glucose("LAB-1", "H-3001", "6.8", "07"),  # nobody yet: waits
                admit("ADT-1", "H-3001", more=f"~{QIAN_ID}^^^^ID"),  # registers him; the result is filed
                glucose("LAB-2", "H-3001", "7.2", "10"),
                update,
                # The HIS's second record of him: birth date mistyped, another phone; nothing says it is him.
                admit("ADT-4", "H-3002", birth="19700510", mobile="13605710002"),
                glucose("LAB-3", "H-3002", "5.9", "11", birth="19700510"),
                a40,
            ],
        )
    assert [msa(answer) for answer in answers] == [b"AA"] * 7
    survivor = Patient.objects.get(id_number_index=id_number_index(QIAN_ID))
    registering = ImportBatch.objects.get(filename="", kind="hl7v2", patients_registered=1, waiting_filed=1)
    assert registering.created == 1
    assert survivor.address == "浙江省宁波市"  # the A08
    merged = Patient.objects.get(merged_into=survivor)
    assert merged.birth_date.isoformat() == "1970-05-10"
    values = Observation.objects.filter(patient=survivor).order_by("value").values_list("value", flat=True)
    assert list(values) == [5.9, 6.8, 7.2]
    assert Encounter.objects.filter(patient=survivor).count() == 2
