"""A discharge sent over MLLP (HL7 ADT^A03) enrols the patient within seconds: the import commits, the
worker task it asks for refreshes the facts and runs the triggers, and the enrolment has its tasks."""

import datetime

import pytest
from django.utils import timezone

from careloop.followup.actions import do_install_shipped
from careloop.followup.models import Enrolment
from careloop.observations.management.commands.mllp import store
from careloop.observations.sources.hl7v2.messages import parse_message
from careloop.observations.sources.hl7v2.mllp import send
from careloop.patients.models import Encounter
from tests.observations.helpers import address, importing_listener
from tests.observations.test_mllp_import import msa

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def adt(trigger: str, control: str, discharged: datetime.datetime | None = None) -> bytes:
    """An admission (A01) or discharge (A03) of one inpatient stay of 钱伟 in 心内科."""
    admitted = (timezone.localtime() - datetime.timedelta(days=5)).strftime("%Y%m%d%H%M%S")
    left = discharged.strftime("%Y%m%d%H%M%S") if discharged else ""
    segments = [
        rf"MSH|^~\&|HIS|HOSP-A|CARELOOP|CL|{admitted}||ADT^{trigger}|{control}|P|2.5",
        f"EVN|{trigger}|{admitted}",
        "PID|1||H-4001^^^HOSP-A^MR~110105197005010035^^^^ID||钱伟||19700501|M",
        "PV1|1|I|心内科^0301^02" + "|" * 16 + "V-4001" + "|" * 25 + f"{admitted}|{left}",
        "DG1|1||I21.0^急性心肌梗死^ICD10||20240401|F",
    ]
    return ("\r".join(segments) + "\r").encode()


@pytest.fixture
def post_discharge(org):
    chosen = next(p for p in do_install_shipped(org) if p.key == "post-discharge")
    chosen.status = "active"
    chosen.save(update_fields=["status"])
    return chosen


def discharged_yesterday() -> datetime.datetime:
    return timezone.localtime() - datetime.timedelta(days=1)


@pytest.mark.django_db
def test_an_a03_import_enrols_the_patient_once_it_commits(
    org, post_discharge, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    left = discharged_yesterday()
    with django_capture_on_commit_callbacks(execute=True):
        store(org.pk, parse_message(adt("A01", "ADT-1").decode()))
        store(org.pk, parse_message(adt("A03", "ADT-2", left).decode()))
    encounter = Encounter.objects.get()
    enrolment = Enrolment.objects.get(protocol=post_discharge)
    assert enrolment.patient_id == encounter.patient_id
    assert enrolment.anchor == left.date()
    assert enrolment.trigger["encounter"] == encounter.pk
    assert set(enrolment.tasks.values_list("step", flat=True)) == {"call-d3", "call-d7", "call-d30"}
    # The HIS sends the discharge again: no second enrolment.
    with django_capture_on_commit_callbacks(execute=True):
        store(org.pk, parse_message(adt("A03", "ADT-3", left).decode()))
    assert Enrolment.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_discharge_over_a_real_mllp_connection_enrols_the_patient(org, post_discharge, settings):
    settings.TASKS = IMMEDIATE
    left = discharged_yesterday()
    with importing_listener(org) as listener:
        answers = send(*address(listener), [adt("A01", "ADT-1"), adt("A03", "ADT-2", left)])
    assert [msa(answer) for answer in answers] == [b"AA", b"AA"]
    enrolment = Enrolment.objects.get(protocol=post_discharge)
    assert enrolment.anchor == left.date()
    assert enrolment.tasks.count() == 3
