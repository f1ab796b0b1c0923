"""What waits for a patient says why; registering the person files it, unless it contradicts them."""

import datetime

import orjson
import pytest
from django.urls import reverse
from django.utils import translation

from careloop.accounts.models import AuditEntry
from careloop.observations.importing.matching import why_unmatched
from careloop.observations.importing.parsed import PatientRef
from careloop.observations.importing.pipeline import run_import
from careloop.observations.models import FeedPolicy, ImportBatch, Observation, UnmatchedResult
from careloop.observations.sources.fhir import iter_ndjson
from careloop.patients.actions import do_register_patient
from careloop.patients.models import Patient
from tests.factories import make_user

OUYANG_ID = "11010519491231002X"
ID_SYSTEM = "urn:oid:1.2.156.112606.1.2.1.1"  # the resident ID number's
BIRTH = datetime.date(1949, 12, 31)


def observation(number: int, subject: dict[str, object], **patient: object) -> dict[str, object]:
    return {
        "resourceType": "Observation",
        "id": f"o{number}",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "2093-3"}]},
        "subject": subject,
        "effectiveDateTime": f"2025-03-0{number}T08:30:00+08:00",
        "valueQuantity": {"value": 4.9, "unit": "mmol/L", "code": "mmol/L"},
    }


def patient_line(id_number: str, name: str, sex: str, birth: str) -> dict[str, object]:
    return {
        "resourceType": "Patient",
        "id": "p1",
        "identifier": [{"system": ID_SYSTEM, "value": id_number}],
        "name": [{"text": name}],
        "gender": sex,
        "birthDate": birth,
    }


def imported(org, *resources: dict[str, object]) -> ImportBatch:
    """The resources imported as a feed of an organization that holds new patients for review: the Patient
    line waits as a proposal, and the results with it."""
    FeedPolicy.objects.update_or_create(organization=org, defaults={"unknown_patients": "hold"})
    data = b"\n".join(orjson.dumps(resource) for resource in resources)
    batch = ImportBatch.objects.create(organization=org, kind="fhir", filename="feed.ndjson")
    return run_import(batch, iter_ndjson(data, "HIS"))[0]


def by_id(id_number: str, name: str = "欧阳晓燕", sex: str = "female", birth: str = "1949-12-31"):
    """A Patient line and two results naming it by its reference: they wait under the ID number."""
    return [
        patient_line(id_number, name, sex, birth),
        observation(1, {"reference": "Patient/p1"}),
        observation(2, {"reference": "Patient/p1"}),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("subject", "why"),
    [
        ({"reference": "Patient/nobody"}, "unknown_mrn"),
        ({"identifier": {"system": ID_SYSTEM, "value": OUYANG_ID}}, "unknown_id_number"),
    ],
)  # fmt: skip
def test_a_waiting_result_says_why_it_matched_nobody(org, subject, why):
    assert imported(org, observation(1, subject)).unmatched == 1
    assert UnmatchedResult.objects.get().why == why


def test_a_ref_without_an_identifier_waits_for_want_of_one():
    assert why_unmatched(PatientRef(name="王小明")) == "no_identifier"
    assert why_unmatched(PatientRef(id_number=OUYANG_ID, mrn="M-1")) == "unknown_id_number"


def register(user, **fields: object):
    return do_register_patient(user, Patient(**fields))


@pytest.mark.django_db
def test_registering_the_person_files_what_waited_for_their_id_number(org, doctor):
    imported(org, *by_id(OUYANG_ID))
    assert UnmatchedResult.waiting(org.pk).filter(kind="result").count() == 2
    assert UnmatchedResult.waiting(org.pk).get(kind="patient").why == "held"

    patient, filed = register(doctor, name="欧阳 晓燕", sex="female", birth_date=BIRTH, id_number=OUYANG_ID)

    assert filed == 2
    assert Observation.objects.filter(patient=patient).count() == 2
    assert not UnmatchedResult.waiting(org.pk).exists()
    assert UnmatchedResult.objects.filter(resolved_patient=patient).count() == 3  # the proposal too
    assert AuditEntry.objects.filter(action="import.match", patient_id=patient.pk).exists()


@pytest.mark.django_db
def test_what_contradicts_the_person_registered_keeps_waiting_and_says_so(org, doctor):
    imported(org, *by_id(OUYANG_ID, name="张三", sex="male"))

    patient, filed = register(doctor, name="欧阳晓燕", sex="female", birth_date=BIRTH, id_number=OUYANG_ID)

    assert filed == 0
    assert not Observation.objects.filter(patient=patient).exists()
    assert set(UnmatchedResult.waiting(org.pk).values_list("why", flat=True)) == {"contradiction"}


@pytest.mark.django_db
def test_registering_someone_else_files_nothing(org, doctor, other_org):
    imported(org, *by_id(OUYANG_ID))
    # Another organization's patient with the same ID number does not take this one's queue.
    register(
        make_user(other_org, "doctor"), name="欧阳晓燕", sex="female", birth_date=BIRTH, id_number=OUYANG_ID
    )
    _patient, filed = register(
        doctor,
        name="王小明",
        sex="male",
        birth_date=datetime.date(1960, 2, 12),
        id_number="440305196002120039",
    )
    assert filed == 0
    assert UnmatchedResult.waiting(org.pk).count() == 3


@pytest.mark.django_db
def test_the_queue_offers_a_registration_filled_from_the_record_and_saving_it_files_the_results(
    logged_in, doctor, org
):
    imported(org, *by_id(OUYANG_ID))
    client = logged_in(doctor)
    with translation.override("zh-hans"):
        page = client.get(reverse("observations:unmatched")).content.decode()
    assert "新患者须经审核" in page
    item = UnmatchedResult.waiting(org.pk).first()
    assert item is not None
    register_url = reverse("observations:unmatched_register", args=[item.pk])
    assert register_url in page

    form = client.get(register_url).content.decode()
    assert 'value="欧阳晓燕"' in form and f'value="{OUYANG_ID}"' in form
    assert f'action="{reverse("patients:register")}"' in form
    assert AuditEntry.objects.filter(action="unmatched.register", actor=doctor).exists()

    response = client.post(
        reverse("patients:register"),
        {
            "name": "欧阳晓燕",
            "sex": "female",
            "birth_date": "1949-12-31",
            "id_type": "resident",
            "id_number": OUYANG_ID,
        },
        follow=True,
    )  # fmt: skip
    patient = Patient.objects.get(name="欧阳晓燕")
    assert Observation.objects.filter(patient=patient).count() == 2
    assert "2" in response.content.decode() and not UnmatchedResult.waiting(org.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["nurse", "receptionist"])
def test_only_who_may_both_register_and_file_results_gets_the_filled_registration(logged_in, org, role):
    imported(org, *by_id(OUYANG_ID))
    item = UnmatchedResult.waiting(org.pk).first()
    assert item is not None
    url = reverse("observations:unmatched_register", args=[item.pk])
    assert logged_in(make_user(org, role)).get(url).status_code == 403
    assert not AuditEntry.objects.filter(action="unmatched.register").exists()
