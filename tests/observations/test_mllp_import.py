"""`careloop mllp`'s receiving side with a real socket: messages are stored and each is acknowledged."""

import datetime
from pathlib import Path

import pytest

from careloop.accounts.models import AuditEntry
from careloop.observations.management.commands.mllp import receive
from careloop.observations.models import ImportBatch, Observation
from careloop.observations.sources.hl7v2 import tls
from careloop.observations.sources.hl7v2.decoding import split_messages
from careloop.observations.sources.hl7v2.mllp import MllpServer, send
from careloop.patients.models import Encounter
from tests.factories import make_patient
from tests.observations.certificates import Authority
from tests.observations.helpers import address, importing_listener, running

SAMPLES = Path(__file__).parent / "samples"
pytestmark = pytest.mark.django_db(transaction=True)


def msa(answer: bytes) -> bytes:
    return next(s for s in answer.split(b"\r") if s.startswith(b"MSA")).split(b"|")[1]


@pytest.fixture
def listener(org):
    with importing_listener(org) as server:
        yield server


def test_results_admissions_and_a_broken_message_on_one_connection(listener, org, doctor):
    wang = make_patient(
        doctor,
        name="王小明",
        id_number="11010519491231002X",
        birth_date=datetime.date(1949, 12, 31),
        sex="female",
    )
    zhao = make_patient(
        doctor, name="赵建国", id_number="440305196002120039", birth_date=datetime.date(1960, 2, 12)
    )
    oru = (SAMPLES / "oru_checkup_utf8.hl7").read_bytes()
    broken = (SAMPLES / "broken_missing_pid.hl7").read_bytes()
    adt = split_messages((SAMPLES / "adt_admit_update_discharge.hl7").read_bytes())
    answers = send(*address(listener), [oru, broken, *adt])
    codes = [msa(a) for a in answers]
    assert codes[1] in (b"AE", b"AR")
    assert codes[2:] == [b"AA"] * len(adt)
    assert codes[0] in (b"AA", b"AE")  # AE when a local code of the sample is not in our catalogue
    assert Observation.objects.filter(patient=wang).count() >= 8
    assert Encounter.objects.get(patient=zhao).discharged_at is not None
    assert ImportBatch.objects.filter(kind="hl7v2").count() == 2 + len(adt)

    again = send(*address(listener), [oru])
    assert msa(again[0]) == codes[0]
    last = ImportBatch.objects.filter(kind="hl7v2").order_by("-id").first()
    assert last is not None and last.created == 0


WANG_ID = "11010519491231002X"


def wang_oru(*obx: str) -> bytes:
    head = [
        r"MSH|^~\&|LIS|HOSP-A|CARELOOP|CL|20240315103000||ORU^R01^ORU_R01|SERIES01|P|2.5.1",
        f"PID|1||MR123456^^^HOSP-A^MR~{WANG_ID}^^^^ID||王小明||19491231|F",
        "OBR|1|PL9|FL9|HC01^体检^L|||20240315080000",
    ]
    return "\r".join([*head, *obx]).encode() + b"\r"


def glucose_series(sub_ids: list[str]) -> list[str]:
    return [
        f"OBX|{n}|NM|1558-6^Glucose^LN|{sub_id}|{5 + n / 10}|mmol/L|3.9-6.1||||F|||2024031508{n:02d}00"
        for n, sub_id in enumerate(sub_ids, start=1)
    ]


def test_every_audit_entry_the_listener_writes_names_the_sending_peer(listener, doctor):
    wang = make_patient(
        doctor, name="王小明", sex="female", id_number=WANG_ID, birth_date=datetime.date(1949, 12, 31)
    )
    before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    adt = split_messages((SAMPLES / "adt_admit_update_discharge.hl7").read_bytes())
    answers = send(*address(listener), [(SAMPLES / "oru_checkup_utf8.hl7").read_bytes(), *adt])
    assert all(msa(a) in (b"AA", b"AE") for a in answers)
    written = list(AuditEntry.objects.filter(id__gt=before))
    assert Observation.objects.filter(patient=wang).exists()
    # An import.start and an import.finish per message, and the admission registers its patient.
    assert len(written) == 2 * (1 + len(adt)) + 1
    assert sum(entry.action == "patient.create" for entry in written) == 1
    assert all((entry.ip, entry.actor_label) == ("127.0.0.1", "mllp") for entry in written), [
        (entry.action, entry.ip, entry.actor_label) for entry in written
    ]


def test_audit_entries_name_the_client_certificate_under_mutual_tls(org, tmp_path):
    hospital = Authority(tmp_path, "hospital")
    issued = hospital.issue("careloop.hospital", server=True)
    lis = hospital.issue("lis.hospital-a", server=False)
    context = tls.server_context(str(issued.cert), str(issued.key), str(hospital.cert))
    server = MllpServer("127.0.0.1", 0, lambda raw, peer: receive(org.pk, raw, peer), tls_context=context)
    with running(server):
        client = tls.client_context(str(hospital.cert), str(lis.cert), str(lis.key))
        send(*address(server), [(SAMPLES / "oru_checkup_utf8.hl7").read_bytes()], tls_context=client)
    entry = AuditEntry.objects.get(action="import.finish")
    assert entry.ip == "127.0.0.1"
    assert entry.detail["tls_client"] == "lis.hospital-a"


def test_repeated_results_collapse_into_one_row_and_the_ack_says_how_many(listener, doctor):
    wang = make_patient(
        doctor, name="王小明", sex="female", id_number=WANG_ID, birth_date=datetime.date(1949, 12, 31)
    )
    [answer] = send(*address(listener), [wang_oru(*glucose_series([""] * 5))])
    assert msa(answer) == b"AA"
    [err] = [s.split(b"|") for s in answer.split(b"\r") if s.startswith(b"ERR")]
    assert err[3:5] == [b"205^Duplicate key identifier^HL70357", b"W"]
    assert b"5 results of code 1558-6" in err[8] and b"4 of them were not stored" in err[8]
    assert Observation.objects.filter(patient=wang, code="1558-6").count() == 1


def test_results_told_apart_by_obx_4_are_all_stored_without_a_warning(listener, doctor):
    wang = make_patient(
        doctor, name="王小明", sex="female", id_number=WANG_ID, birth_date=datetime.date(1949, 12, 31)
    )
    [answer] = send(*address(listener), [wang_oru(*glucose_series(["1", "2", "3", "4", "5"]))])
    assert msa(answer) == b"AA", answer
    assert b"\rERR" not in answer
    assert Observation.objects.filter(patient=wang, code="1558-6").count() == 5
