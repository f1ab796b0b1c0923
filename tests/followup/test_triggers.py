"""Triggers (careloop/followup/triggers.py): each kind enrols the patients whose event is recent, once per
event, with its provenance and first tasks; patients who may not be enrolled never are; a corrected
discharge date moves the anchor; a second sweep writes nothing."""

import pytest

from careloop.accounts.models import AuditEntry
from careloop.facts.refresh import refresh_facts
from careloop.followup.actions import do_end_enrolment, do_install_shipped
from careloop.followup.models import Enrolment, Task
from careloop.followup.sweep import run_sweep
from careloop.followup.triggers import enrol_triggered
from careloop.observations.models import Observation
from careloop.patients.models import Condition, ConsentEvent, Patient, PatientTag, Tag
from tests.factories import make_patient, make_user
from tests.facts.population import Seeder
from tests.followup.helpers import DAY, TODAY, at, discharge, protocol

pytestmark = pytest.mark.django_db


@pytest.fixture
def post_discharge(org):
    installed = {p.key: p for p in do_install_shipped(org)}
    chosen = installed["post-discharge"]
    chosen.status = "active"
    chosen.save(update_fields=["status"])
    return chosen


def enrolled(protocol_key="post-discharge"):
    return list(
        Enrolment.objects.filter(protocol__key=protocol_key)
        .order_by("pk")
        .values_list("patient_id", "anchor")
    )


def test_a_discharge_enrols_with_its_provenance_and_tasks_and_a_second_sweep_writes_nothing(
    doctor, patient, post_discharge
):
    patient.responsible_doctor = doctor
    patient.save(update_fields=["responsible_doctor"])
    encounter = discharge(patient, TODAY - 2 * DAY, diagnoses="I21.0 急性心肌梗死")
    first = run_sweep(TODAY)
    enrolment = Enrolment.objects.get(protocol=post_discharge)
    assert first.enrolled == 1
    assert enrolment.anchor == TODAY - 2 * DAY
    assert enrolment.started_on == TODAY
    assert enrolment.trigger == {
        "kind": "discharge",
        "encounter": encounter.pk,
        "department": "心内科",
        "discharged": str(TODAY - 2 * DAY),
    }
    tasks = dict(enrolment.tasks.values_list("step", "assignee_user_id"))
    assert tasks == {"call-d3": doctor.pk, "call-d7": None, "call-d30": None}
    entry = AuditEntry.objects.get(action="followup.sweep")
    assert entry.detail["enrolled"] == 1
    assert AuditEntry.objects.filter(action="enrolment.triggered").count() == 1
    before = (list(Task.objects.values()), list(Enrolment.objects.values()), AuditEntry.objects.count())
    assert run_sweep(TODAY).written == 0
    assert enrol_triggered(org_id := patient.organization_id, TODAY).enrolled == 0
    assert (
        list(Task.objects.values()),
        list(Enrolment.objects.values()),
        AuditEntry.objects.count(),
    ) == before
    assert org_id


def test_an_encounter_enrols_once_even_after_its_plan_ended(nurse, patient, post_discharge):
    discharge(patient, TODAY - DAY)
    run_sweep(TODAY)
    do_end_enrolment(nurse, Enrolment.objects.get(), "refused")
    assert run_sweep(TODAY + DAY).enrolled == 0
    assert Enrolment.objects.count() == 1
    # A later stay is another event: it enrols again.
    discharge(patient, TODAY + DAY)
    assert run_sweep(TODAY + DAY).enrolled == 1
    assert enrolled()[-1] == (patient.pk, TODAY + DAY)


def test_only_recent_inpatient_discharges_already_past_enrol(doctor, post_discharge):
    recent, old, outpatient, tomorrow, edge = (make_patient(doctor, name=f"病人{n}") for n in range(5))
    discharge(recent, TODAY - 20 * DAY)
    discharge(old, TODAY - 3 * 365 * DAY)  # a stay imported years late starts no plan
    discharge(outpatient, TODAY, encounter_class="outpatient")
    discharge(tomorrow, TODAY + DAY)  # a planned discharge, sent ahead
    discharge(edge, TODAY - 31 * DAY)  # past the window: the day-30 call is over
    run_sweep(TODAY)
    assert enrolled() == [(recent.pk, TODAY - 20 * DAY)]
    assert set(Task.objects.values_list("step", flat=True)) == {"call-d30"}  # the rest closed before today


def test_the_patients_who_may_not_be_enrolled_never_are(org, doctor, post_discharge):
    dead, moved, merged, withdrawn, regranted, survivor = (
        make_patient(doctor, name=f"病人{n}") for n in range(6)
    )
    Patient.objects.filter(pk=dead.pk).update(deceased_on=TODAY - DAY)
    Patient.objects.filter(pk=moved.pk).update(moved_away_on=TODAY - DAY)
    Patient.objects.filter(pk=merged.pk).update(merged_into=survivor)
    ConsentEvent.objects.create(patient=withdrawn, purpose="care", granted=False, at=at(TODAY - 3 * DAY))
    ConsentEvent.objects.create(patient=regranted, purpose="care", granted=False, at=at(TODAY - 3 * DAY))
    ConsentEvent.objects.create(patient=regranted, purpose="care", granted=True, at=at(TODAY - DAY))
    for person in (dead, moved, merged, withdrawn, regranted):
        discharge(person, TODAY - DAY)
    run_sweep(TODAY)
    assert enrolled() == [(regranted.pk, TODAY - DAY)]


def test_a_trigger_enrols_only_its_own_organizations_patients(org, other_org, doctor, post_discharge):
    stranger = make_patient(make_user(other_org, "doctor"), name="外院病人")
    discharge(stranger, TODAY - DAY)
    run_sweep(TODAY)
    assert Enrolment.objects.count() == 0


@pytest.mark.parametrize(
    ("department", "diagnoses", "enrols"),
    [
        ("心内科", "I21.0 急性心肌梗死; I10 原发性高血压", True),
        ("心内科", "I10 原发性高血压", False),
        ("心内科", "", False),
        ("内分泌科", "I21.0 急性心肌梗死", False),
        ("心内科", "J18.9 肺炎; I21.9 急性心肌梗死", True),
    ],
)
def test_a_discharge_trigger_names_departments_and_diagnosis_prefixes(
    org, patient, department, diagnoses, enrols
):
    chosen = protocol(
        org,
        {"kind": "discharge", "departments": ["心内科"], "diagnosis_prefixes": ["I21"]},
        anchor="discharge_date",
    )
    discharge(patient, TODAY - DAY, department=department, diagnoses=diagnoses)
    run_sweep(TODAY)
    assert Enrolment.objects.filter(protocol=chosen).exists() is enrols


def test_a_corrected_discharge_date_moves_the_open_enrolments_anchor(nurse, patient, post_discharge):
    encounter = discharge(patient, TODAY - 6 * DAY)
    run_sweep(TODAY)
    enrolment = Enrolment.objects.get()
    Task.objects.filter(enrolment=enrolment, step="call-d3").update(status="done")
    done_due = Task.objects.get(step="call-d3").due
    # The HIS sends the discharge again with the time it really was: two days later.
    encounter.discharged_at = at(TODAY - 4 * DAY)
    encounter.save(update_fields=["discharged_at"])
    result = enrol_triggered(patient.organization_id, TODAY)
    enrolment.refresh_from_db()
    assert (result.enrolled, result.moved) == (0, 1)
    assert enrolment.anchor == TODAY - 4 * DAY
    assert enrolment.trigger["discharged"] == str(TODAY - 4 * DAY)
    assert Task.objects.get(step="call-d3").due == done_due  # done: stays
    assert Task.objects.get(step="call-d7").due == TODAY + 3 * DAY
    assert enrol_triggered(patient.organization_id, TODAY).moved == 0
    assert Enrolment.objects.count() == 1


def test_a_new_diagnosis_enrols_in_the_chronic_disease_protocol(org, doctor):
    do_install_shipped(org)  # hypertension ships in use, on the enrolment date
    new, old, resolved = (make_patient(doctor, name=f"病人{n}") for n in range(3))
    Condition.objects.create(patient=new, icd10_code="I10", name="高血压", recorded_at=at(TODAY - DAY))
    Condition.objects.create(patient=old, icd10_code="I10", name="高血压", recorded_at=at(TODAY - 400 * DAY))
    Condition.objects.create(
        patient=resolved, icd10_code="I10", name="高血压", recorded_at=at(TODAY), clinical_status="resolved"
    )
    condition = Condition.objects.create(
        patient=new, icd10_code="E11.9", name="糖尿病", recorded_at=at(TODAY)
    )
    run_sweep(TODAY)
    assert enrolled("hypertension") == [(new.pk, TODAY)]
    diabetes = Enrolment.objects.get(protocol__key="diabetes")
    assert diabetes.trigger == {"kind": "diagnosis_added", "condition": condition.pk, "code": "E11.9"}
    assert run_sweep(TODAY).written == 0


def test_a_tag_added_enrols_on_the_day_it_was_added(org, doctor):
    do_install_shipped(org)  # the annual check ships in use, on the tag "老年人"
    patient = make_patient(doctor)
    tag = Tag.objects.create(organization=org, name="老年人")
    added = PatientTag.objects.create(patient=patient, tag=tag, added_at=at(TODAY - 2 * DAY))
    run_sweep(TODAY)
    enrolment = Enrolment.objects.get(protocol__key="older-adult-annual-check")
    assert enrolment.anchor == TODAY - 2 * DAY
    assert enrolment.trigger == {"kind": "tag_added", "patient_tag": added.pk, "tag": "老年人"}


def test_an_abnormal_latest_result_enrols_and_one_followed_by_a_normal_result_does_not(org, doctor):
    chosen = protocol(org, {"kind": "abnormal_result", "code": "1558-6"})
    seeder = Seeder(org, TODAY)
    high, recovered, normal = (make_patient(doctor, name=f"病人{n}") for n in range(3))
    seeder.result(high, "1558-6", 9.1, at(TODAY - DAY), flag="high")
    seeder.result(recovered, "1558-6", 9.1, at(TODAY - 5 * DAY), flag="high")
    seeder.result(recovered, "1558-6", 5.2, at(TODAY - DAY), flag="normal")
    seeder.result(normal, "1558-6", 5.0, at(TODAY - DAY), flag="normal")
    Observation.objects.bulk_create(seeder.observations)
    refresh_facts(org.pk)
    run_sweep(TODAY)
    enrolment = Enrolment.objects.get(protocol=chosen)
    assert (enrolment.patient_id, enrolment.anchor) == (high.pk, TODAY - DAY)
    assert enrolment.trigger["flag"] == "high"
    assert enrolment.trigger["observation"] == Observation.objects.get(patient=high).pk


def test_a_questionnaire_band_enrols_on_the_newest_score_only(org, doctor):
    chosen = protocol(org, {"kind": "questionnaire_band", "questionnaire": "44261-6", "bands": ["severe"]})
    seeder = Seeder(org, TODAY)
    severe, better = (make_patient(doctor, name=f"病人{n}") for n in range(2))
    seeder.score(severe, "44261-6", 22, "severe", days_ago=1)
    seeder.score(better, "44261-6", 22, "severe", days_ago=5)
    seeder.score(better, "44261-6", 3, "minimal", days_ago=1)
    run_sweep(TODAY)
    enrolment = Enrolment.objects.get(protocol=chosen)
    assert (enrolment.patient_id, enrolment.anchor) == (severe.pk, TODAY - DAY)
    assert enrolment.trigger["band"] == "severe"


def test_a_protocol_switched_off_or_manual_enrols_no_one(org, patient, post_discharge):
    post_discharge.status = "draft"
    post_discharge.save(update_fields=["status"])
    discharge(patient, TODAY - DAY)
    assert run_sweep(TODAY).enrolled == 0


def test_a_patient_already_enrolled_is_not_enrolled_again_by_a_second_discharge(patient, post_discharge):
    discharge(patient, TODAY - 10 * DAY)
    discharge(patient, TODAY - 2 * DAY)
    run_sweep(TODAY)
    assert enrolled() == [(patient.pk, TODAY - 2 * DAY)]  # the newest of the two
    assert run_sweep(TODAY + DAY).enrolled == 0
