"""Records filed by hand belong to the patient staff chose, whatever identifiers either side carries."""

import pytest

from careloop.observations.actions import do_match_unmatched
from careloop.observations.models import Observation, PatientIdentifier, UnmatchedResult
from tests.factories import make_patient
from tests.observations.test_waiting_filed_on_registration import ID_SYSTEM, OUYANG_ID, imported, observation


@pytest.mark.django_db
@pytest.mark.parametrize(
    "subject",
    [{"reference": "Patient/H-7781"}, {"identifier": {"system": ID_SYSTEM, "value": OUYANG_ID}}],
    ids=["by-mrn", "by-id-number"],
)
def test_a_record_is_filed_under_a_chosen_patient_who_has_no_id_number(org, doctor, subject):
    imported(org, observation(1, subject))
    item = UnmatchedResult.waiting(org.pk).get()
    patient = make_patient(doctor, name="林婉清", id_number="")

    assert do_match_unmatched(doctor, item, patient) == 1

    assert Observation.objects.filter(patient=patient).count() == 1
    assert not UnmatchedResult.waiting(org.pk).exists()


@pytest.mark.django_db
def test_the_mrn_of_a_record_filed_by_hand_finds_the_patient_next_time(org, doctor):
    imported(org, observation(1, {"reference": "Patient/H-7781"}))
    patient = make_patient(doctor, name="林婉清", id_number="")
    do_match_unmatched(doctor, UnmatchedResult.waiting(org.pk).get(), patient)
    assert PatientIdentifier.objects.filter(patient=patient, value="H-7781").exists()

    batch = imported(org, observation(2, {"reference": "Patient/H-7781"}))
    assert (batch.created, batch.unmatched) == (1, 0)
    assert Observation.objects.filter(patient=patient).count() == 2
