"""Hospital feeds register and update patients: HL7 ADT and FHIR Patient, by the organization's feed policy,
never overwriting a clerk's later correction, never merging a probable duplicate by themselves."""

import datetime

import orjson
import pytest
from django.urls import reverse

from careloop.accounts.models import AuditEntry
from careloop.observations.feeds import do_set_feed_policy
from careloop.observations.importing.pipeline import run_import
from careloop.observations.management.commands.mllp import store
from careloop.observations.models import (
    FeedReview,
    ImportBatch,
    Observation,
    PatientIdentifier,
    UnmatchedResult,
)
from careloop.observations.sources.fhir import iter_ndjson, parse_bundle
from careloop.observations.sources.hl7v2 import ack
from careloop.observations.sources.hl7v2.messages import parse_message
from careloop.patients.models import Encounter, FamilyLink, Patient
from tests.factories import make_patient

ZHAO_ID = "440305196002120039"
ZHAO_MOBILE = "13912345678"
BORN = datetime.date(1960, 2, 12)


def msh(trigger: str, control: str, sent: str = "20261201090000") -> str:
    kind = "ORU^R01^ORU_R01" if trigger == "R01" else f"ADT^{trigger}"
    return rf"MSH|^~\&|HIS|HOSP-A|CARELOOP|CL|{sent}||{kind}|{control}|P|2.5"


def pid(name: str = "赵建国", mobile: str = ZHAO_MOBILE, address: str = "广东省^深圳市^福田区") -> str:
    street, city, district = [*address.split("^"), "", "", ""][:3]
    xad = f"{district}^^{city}^{street}" if address else ""
    return f"PID|1||H-2001^^^HOSP-A^MR~{ZHAO_ID}^^^^ID||{name}||19600212|M|||{xad}||^PRN^CP^^^^^^^^^{mobile}"


def admit(control: str = "ADT1", sent: str = "20261201090000", **person: str) -> bytes:
    segments = [
        msh("A01", control, sent),
        f"EVN|A01|{sent}",
        pid(**person),
        "NK1|1|李秀兰|SPO^配偶^HL70063||^PRN^CP^^^^^^^^^13712345678",
        "PV1|1|I|内科" + "|" * 16 + "V-77",
    ]
    return ("\r".join(segments) + "\r").encode()


def update(control: str, sent: str, **person: str) -> bytes:
    segments = [msh("A08", control, sent), f"EVN|A08|{sent}", pid(**person)]
    return ("\r".join(segments) + "\r").encode()


def glucose(control: str = "LAB1", value: str = "6.1") -> bytes:
    segments = [
        msh("R01", control).replace("HIS|", "LIS|", 1),
        "PID|1||H-2001^^^HOSP-A^MR||赵建国||19600212|M",
        "OBR|1|PL1|FL1|GLU^血糖^L|||20261201080000",
        f"OBX|1|NM|1558-6^Glucose^LN||{value}|mmol/L|3.9-6.1||||F|||20261201080000",
    ]
    return ("\r".join(segments) + "\r").encode()


def send(org, message: bytes) -> bytes:
    """One message, received as the MLLP listener receives it; its MSA code."""
    answer = ack.respond(message, lambda parsed: store(org.pk, parsed))
    return next(s for s in answer.split(b"\r") if s.startswith(b"MSA")).split(b"|")[1]


def last_batch() -> ImportBatch:
    batch = ImportBatch.objects.order_by("-id").first()
    assert batch is not None
    return batch


@pytest.mark.django_db
def test_an_admission_registers_the_patient_and_later_results_land_on_them(org):
    assert send(org, admit()) == b"AA"
    zhao = Patient.objects.get(organization=org)
    assert (zhao.name, zhao.sex, zhao.birth_date) == ("赵建国", "male", BORN)
    assert zhao.id_number == ZHAO_ID and zhao.mobile == ZHAO_MOBILE
    assert zhao.address == "广东省深圳市福田区"
    assert zhao.hand_edited == {}  # nothing was set by hand
    assert PatientIdentifier.objects.get(patient=zhao).value == "H-2001"
    link = FamilyLink.objects.get(patient=zhao)
    assert (link.related_name, link.relationship, link.related_mobile) == ("李秀兰", "spouse", "13712345678")
    assert Encounter.objects.get(patient=zhao).source_id == "V-77"
    batch = last_batch()
    assert (batch.patients_registered, batch.unmatched) == (1, 0)
    entry = AuditEntry.objects.get(action="patient.create", patient_id=zhao.pk)
    assert entry.detail["source"] == "feed" and entry.detail["message"] == "ADT1"
    assert entry.detail["event"] == "A01" and entry.detail["batch"] == batch.pk

    assert send(org, glucose()) == b"AA"  # named only by the MRN the admission taught us
    assert Observation.objects.get(patient=zhao).value == 6.1
    assert send(org, admit()) == b"AA"  # sent again: the same patient, nothing new
    assert Patient.objects.count() == 1 and FamilyLink.objects.count() == 1


@pytest.mark.django_db
def test_results_that_waited_are_filed_when_the_admission_registers_the_patient(org):
    assert send(org, glucose()) == b"AA"
    assert UnmatchedResult.objects.get(kind="result").why == "unknown_mrn"
    assert send(org, admit()) == b"AA"
    zhao = Patient.objects.get()
    assert Observation.objects.get().patient == zhao
    report = Observation.objects.get().report
    assert report is not None and report.patient == zhao  # its exam report came along
    waited = UnmatchedResult.objects.get(kind="result")
    assert waited.resolved_patient == zhao and waited.resolved_at is not None
    batch = last_batch()
    assert (batch.patients_registered, batch.waiting_filed, batch.created) == (1, 1, 1)


@pytest.mark.django_db
def test_an_update_changes_the_details_but_not_what_a_clerk_corrected_later(org, doctor):
    send(org, admit())
    zhao = Patient.objects.get()
    # The clerk corrects the mobile on 2026-12-02 (after the message below was written, on 12-01 10:00).
    zhao.mobile = "13600000001"
    zhao.hand_edited = {"mobile": "2026-12-02T08:00:00+00:00"}
    zhao.save()

    assert (
        send(org, update("ADT2", "20261201100000", mobile="13500000002", address="广东省^深圳市^南山区"))
        == b"AA"
    )
    zhao.refresh_from_db()
    assert zhao.address == "广东省深圳市南山区"  # not corrected by hand: the feed's newer value
    assert zhao.mobile == "13600000001"  # the clerk's later correction stays
    review = FeedReview.objects.get()
    assert review.fields == ["mobile"] and review.patient == zhao
    batch = last_batch()
    assert (batch.patients_updated, batch.for_review) == (1, 1)
    change = AuditEntry.objects.filter(action="patient.update", patient_id=zhao.pk).latest("id")
    assert change.detail["message"] == "ADT2" and "address" in change.detail["changes"]

    send(org, update("ADT2", "20261201100000", mobile="13500000002"))  # the same message again
    assert FeedReview.objects.count() == 1


@pytest.mark.django_db
def test_staff_decide_a_held_change(org, admin_user, logged_in):
    send(org, admit())
    zhao = Patient.objects.get()
    zhao.hand_edited = {"mobile": "2030-01-01T00:00:00+00:00"}
    zhao.save()
    send(org, update("ADT2", "20261201100000", mobile="13500000002"))
    client = logged_in(admin_user)
    page = client.get(reverse("observations:feed_reviews"))
    assert page.status_code == 200 and "赵建国" in page.text and "135****0002" in page.text
    assert "13500000002" not in page.text
    review = FeedReview.objects.get()
    client.post(reverse("observations:feed_review_decide", args=[review.pk]), {"decision": "apply"})
    zhao.refresh_from_db()
    assert zhao.mobile == "13500000002"
    review.refresh_from_db()
    assert review.decision == "applied" and review.resolved_by == admin_user
    assert AuditEntry.objects.filter(action="patient.feed_review", patient_id=zhao.pk).exists()


@pytest.mark.django_db
def test_a_contradicting_update_is_held_and_answered_ae(org):
    send(org, admit())
    assert send(org, update("ADT3", "20261203090000", name="张三")) == b"AE"
    assert Patient.objects.get().name == "赵建国"
    held = UnmatchedResult.objects.get(kind="patient")
    assert held.why == "contradiction" and held.patient_name == "张三"


@pytest.mark.django_db
def test_under_the_hold_policy_a_new_patient_is_proposed_and_staff_register_them(org, admin_user, logged_in):
    do_set_feed_policy(admin_user, org.pk, "hold")
    assert send(org, admit()) == b"AA"
    assert send(org, glucose()) == b"AA"
    assert not Patient.objects.exists()
    proposal = UnmatchedResult.objects.get(kind="patient")
    assert proposal.why == "held" and proposal.patient_mobile == ZHAO_MOBILE
    assert proposal.record["address"] == "广东省深圳市福田区"

    client = logged_in(admin_user)
    form = client.get(reverse("observations:unmatched_register", args=[proposal.pk]))
    assert form.status_code == 200 and ZHAO_MOBILE in form.text  # the admin may see mobiles
    answer = client.post(
        reverse("patients:register"),
        {
            "name": "赵建国",
            "sex": "male",
            "birth_date": "1960-02-12",
            "id_type": "resident",
            "id_number": ZHAO_ID,
            "mobile": ZHAO_MOBILE,
            "address": "广东省深圳市福田区",
            "sent_by": str(proposal.pk),
        },
    )
    assert answer.status_code == 302
    zhao = Patient.objects.get()
    assert Observation.objects.get().patient == zhao  # the result named by the MRN only, filed too
    assert not UnmatchedResult.objects.filter(resolved_at__isnull=True).exists()
    assert FamilyLink.objects.get(patient=zhao).related_name == "李秀兰"  # from the proposal's NK1
    assert not FeedReview.objects.exists()  # the form agreed with the feed


@pytest.mark.django_db
def test_staff_reject_a_proposed_patient(org, admin_user, logged_in):
    do_set_feed_policy(admin_user, org.pk, "hold")
    send(org, admit())
    proposal = UnmatchedResult.objects.get(kind="patient")
    logged_in(admin_user).post(reverse("observations:unmatched_reject", args=[proposal.pk]))
    proposal.refresh_from_db()
    assert proposal.resolved_at is not None and proposal.resolved_patient is None
    assert AuditEntry.objects.filter(action="unmatched.reject").exists()
    assert not Patient.objects.exists()


@pytest.mark.django_db
def test_a_probable_duplicate_is_never_registered_by_a_feed(org, doctor, logged_in):
    registered = make_patient(doctor, name="赵建国", id_number="", mobile="", birth_date=BORN)
    assert send(org, admit()) == b"AA"
    assert list(Patient.objects.all()) == [registered]
    proposal = UnmatchedResult.objects.get(kind="patient")
    assert proposal.why == "probable_match"
    assert Encounter.objects.count() == 0  # the visit waits with its person
    assert UnmatchedResult.objects.filter(kind="encounter", why="probable_match").exists()
    # The queue shows the record it probably is, saying why, to open or to file it under.
    candidates = logged_in(doctor).get(reverse("observations:unmatched_candidates", args=[proposal.pk]))
    assert "姓名和出生日期相同" in candidates.text
    assert reverse("patients:detail", args=[registered.pk]) in candidates.text


@pytest.mark.django_db
def test_a_person_without_a_birth_date_waits_saying_so(org):
    message = admit().replace(b"||19600212|M", b"||00000000|M").replace(b"00000000", b"")
    send(org, message)
    assert not Patient.objects.exists()
    assert UnmatchedResult.objects.get(kind="patient").why == "incomplete"


def fhir_patient(**extra: object) -> dict[str, object]:
    return {
        "resourceType": "Patient",
        "id": "p9",
        "identifier": [{"system": "urn:oid:2.16.156.10011.1.3", "value": ZHAO_ID}],
        "name": [{"text": "赵建国"}],
        "gender": "male",
        "birthDate": "1960-02-12",
        "telecom": [{"system": "phone", "use": "mobile", "value": ZHAO_MOBILE}],
        **extra,
    }


def fhir_glucose(subject: str) -> dict[str, object]:
    return {
        "resourceType": "Observation",
        "id": "g1",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "1558-6"}]},
        "subject": {"reference": subject},
        "effectiveDateTime": "2026-12-01T08:00:00+08:00",
        "valueQuantity": {"value": 5.4, "unit": "mmol/L"},
    }


@pytest.mark.django_db
def test_a_fhir_transaction_registers_its_patient_and_files_its_results(org):
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": "urn:uuid:glu", "resource": fhir_glucose("urn:uuid:zhao"),
             "request": {"method": "POST", "url": "Observation"}},
            {"fullUrl": "urn:uuid:zhao", "resource": fhir_patient(),
             "request": {"method": "POST", "url": "Patient"}},
        ],
    }  # fmt: skip
    batch = ImportBatch.objects.create(organization=org, kind="fhir", filename="tx.json")
    batch, _problems = run_import(batch, [parse_bundle(orjson.dumps(bundle), "HIS")])
    zhao = Patient.objects.get()
    assert zhao.mobile == ZHAO_MOBILE and zhao.id_number == ZHAO_ID
    assert Observation.objects.get().patient == zhao
    assert (batch.patients_registered, batch.created, batch.unmatched) == (1, 1, 0)


@pytest.mark.django_db
def test_an_ndjson_patient_line_registers_and_a_put_updates(org):
    lines = [fhir_patient(), fhir_glucose("Patient/p9")]
    data = b"\n".join(orjson.dumps(line) for line in lines)
    batch = ImportBatch.objects.create(organization=org, kind="fhir", filename="feed.ndjson")
    run_import(batch, iter_ndjson(data, "HIS"))
    zhao = Patient.objects.get()
    assert Observation.objects.get().patient == zhao

    moved = fhir_patient(address=[{"use": "home", "text": "广东省深圳市南山区"}])
    bundle = {"resourceType": "Bundle", "type": "transaction",
              "entry": [{"resource": moved, "request": {"method": "PUT", "url": "Patient/p9"}}]}  # fmt: skip
    batch = ImportBatch.objects.create(organization=org, kind="fhir", filename="put.json")
    batch, _problems = run_import(batch, [parse_bundle(orjson.dumps(bundle), "HIS")])
    zhao.refresh_from_db()
    assert zhao.address == "广东省深圳市南山区" and batch.patients_updated == 1


def merge_message(control: str) -> bytes:
    segments = [msh("A40", control), "EVN|A40|20261203090000", pid(), "MRG|H-2002^^^HOSP-A^MR"]
    return ("\r".join(segments) + "\r").encode()


@pytest.mark.django_db(transaction=True)
def test_an_a40_in_a_file_moves_every_result_before_it_and_files_those_after_it_on_the_survivor(org):
    """One message a chunk: the merge waits for the chunks before it to be stored, and the import's memory
    of whom it matched follows the merge."""
    second = admit("ADT2").replace(b"H-2001", b"H-2002").replace(ZHAO_ID.encode(), b"")
    second = second.replace(b"19600212", b"19600221").replace(ZHAO_MOBILE.encode(), b"13600000009")
    later = glucose("LAB3", "5.1").replace(b"H-2001", b"H-2002").replace(b"19600212", b"19600221")
    messages = [
        admit(),
        second,  # the HIS's second record of him: no ID number, birth date mistyped
        glucose("LAB1", "6.1").replace(b"H-2001", b"H-2002").replace(b"19600212", b"19600221"),
        merge_message("ADT3"),
        later.replace(b"FL1", b"FL3").replace(b"PL1", b"PL3"),
    ]
    batch = ImportBatch.objects.create(organization=org, kind="hl7v2", filename="feed.hl7")
    batch, problems = run_import(batch, [parse_message(m.decode()) for m in messages])
    assert problems == []
    survivor = Patient.objects.get(merged_into__isnull=True)
    assert Patient.objects.get(merged_into=survivor).birth_date == datetime.date(1960, 2, 21)
    assert sorted(Observation.objects.values_list("patient_id", "value")) == [
        (survivor.pk, 5.1),
        (survivor.pk, 6.1),
    ]
