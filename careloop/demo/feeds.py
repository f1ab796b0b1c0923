"""The demo hospital's admission feed (HL7 ADT), through the real import: a new patient registered with
their next of kin, a man the registry probably knows already (left for review, never merged by itself), and
an update older than a clerk's correction (held for review)."""

import datetime

from django.utils import timezone

from careloop.accounts.models import Organization, User
from careloop.observations.actions import do_import
from careloop.observations.importing.inputs import MessageInput
from careloop.observations.sources.hl7v2.messages import parse_message
from careloop.patients.actions import do_update_patient
from careloop.patients.models import Patient

HIS = "HIS-DEMO"
NEW_PATIENT_ID = "330106196703152316"  # 周建华, not in the registry before the feed


def _message(trigger: str, control: str, at: datetime.datetime, pid: str, *more: str) -> str:
    stamp = at.strftime("%Y%m%d%H%M%S")
    head = rf"MSH|^~\&|{HIS}|DEMO-HOSP|CARELOOP|DEMO|{stamp}||ADT^{trigger}|{control}|P|2.5"
    return "\r".join([head, f"EVN|{trigger}|{stamp}", pid, *more]) + "\r"


def import_demo_admissions(organization: Organization) -> list[int]:
    """Three ADT messages as the MLLP listener would take them; the ids of their import batches."""
    now = timezone.localtime()
    yesterday = now - datetime.timedelta(days=1)
    visit = "PV1|1|I|心内科" + "|" * 16 + "ZY-{n}"
    admissions = [
        _message(
            "A01",
            "DEMO-ADT-1",
            yesterday,
            f"PID|1||ZY-30418^^^{HIS}^MR~{NEW_PATIENT_ID}^^^^ID||周建华||19670315|M|||"
            "西湖区文三路 90 号^^杭州市^浙江省^^^H^^西湖区||^PRN^CP^^^^^^^^^13605710388",
            "NK1|1|周丽|DAU^女儿^HL70063||^PRN^CP^^^^^^^^^13905710299",
            visit.format(n=1),
        ),
        # 王晓明 was registered at the desk without an ID number: the hospital's admission of the same man
        # waits, beside the record it probably is.
        _message(
            "A01",
            "DEMO-ADT-2",
            yesterday,
            f"PID|1||ZY-30422^^^{HIS}^MR||王晓明||19560921|M|||||^PRN^CP^^^^^^^^^13957100421",
            visit.format(n=2),
        ),
    ]
    batches = [_receive(organization, text) for text in admissions]
    batches.append(_update_after_a_correction(organization, yesterday))
    return batches


def _update_after_a_correction(organization: Organization, sent: datetime.datetime) -> int:
    """A clerk corrects a patient's mobile today; the hospital's update, written yesterday, arrives after."""
    reception = User.objects.get(organization=organization, username="reception")
    patient = Patient.objects.filter(organization=organization, id_number_index__gt="").order_by("id").first()
    assert patient is not None  # the seeded registry
    before = {"mobile": patient.mobile}
    patient.mobile = "13757100108"
    do_update_patient(reception, patient, before)
    birth = patient.birth_date.strftime("%Y%m%d")
    sex = {"male": "M", "female": "F"}.get(patient.sex, "U")
    pid = f"PID|1||{patient.id_number}^^^^ID||{patient.name}||{birth}|{sex}|||||^PRN^CP^^^^^^^^^13657100977"
    return _receive(organization, _message("A08", "DEMO-ADT-3", sent, pid))


def _receive(organization: Organization, text: str) -> int:
    return do_import(None, organization, MessageInput(parse_message(text))).batch.pk
