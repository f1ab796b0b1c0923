"""`careloop mllp`'s receiving side with a real socket: messages are stored and each is acknowledged."""

import datetime
import threading
from pathlib import Path

import pytest

from careloop.observations.hl7v2.decoding import split_messages
from careloop.observations.hl7v2.mllp import MllpServer, send
from careloop.observations.management.commands.mllp import receive
from careloop.observations.models import ImportBatch, Observation
from careloop.patients.models import Encounter
from tests.factories import make_patient
from tests.observations.helpers import address

SAMPLES = Path(__file__).parent / "samples"
pytestmark = pytest.mark.django_db(transaction=True)


def msa(answer: bytes) -> bytes:
    return next(s for s in answer.split(b"\r") if s.startswith(b"MSA")).split(b"|")[1]


@pytest.fixture
def listener(org):
    server = MllpServer("127.0.0.1", 0, lambda raw: receive(org.pk, raw))
    thread = threading.Thread(target=server.serve_forever, kwargs={"signals": False})
    thread.start()
    assert server.ready.wait(5)
    yield server
    server.stop()
    thread.join(10)


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
