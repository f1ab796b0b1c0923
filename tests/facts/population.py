"""A small population with every kind of fact, its edge cases, and patients missing each kind.

Rows are written straight to their tables (the facts read tables, not actions); the stored facts are then
built by `refresh_facts`, as after an import.
"""

import datetime
import itertools
import random
from dataclasses import dataclass, field

from careloop.accounts.models import Organization
from careloop.alerts.models import Alert
from careloop.facts.refresh import refresh_facts
from careloop.facts.sources import local_midnight
from careloop.followup.contact_models import ContactRecord
from careloop.observations.models import Observation
from careloop.patients.models import (
    Condition,
    ConsentEvent,
    Encounter,
    Medication,
    Patient,
    PatientTag,
    Tag,
)
from careloop.questionnaires.models import QuestionnaireAnswer, QuestionnaireScore, QuestionnaireVersion
from tests.questionnaires.test_answers import phq9

SBP, DBP, FPG, HBA1C, WAIST = "8480-6", "8462-4", "1558-6", "4548-4", "8280-0"
HEIGHT, WEIGHT, BMI, EGFR = "8302-2", "29463-7", "39156-5", "62238-1"
TAGS = ("高血压", "随访重点", "糖尿病")
CODES = ("I10", "I11.9", "I15.0", "I14", "E11.9", "E10", "E14.9", "J45", "i10")
DRUGS = ("依那普利", "二甲双胍", "阿司匹林")
DEPARTMENTS = ("心内科", "内分泌科", "")
OUTCOMES = ("reached", "reached", "refused", "hospitalised", "no_answer", "busy", "switched_off")
_sources = itertools.count(1)


@dataclass
class Seeder:
    organization: Organization
    today: datetime.date
    observations: list[Observation] = field(default_factory=list)
    version: QuestionnaireVersion | None = None

    def at(self, days_ago: int, hour: int = 9, minute: int = 0) -> datetime.datetime:
        day = self.today - datetime.timedelta(days=days_ago)
        return local_midnight(day) + datetime.timedelta(hours=hour, minutes=minute)

    def patient(self, birth_date: datetime.date, sex: str = "male", **fields) -> Patient:
        return Patient.objects.create(
            organization=self.organization, name="患者", sex=sex, birth_date=birth_date, **fields
        )

    def result(self, patient: Patient, code: str, value: float, when: datetime.datetime, **fields) -> None:
        self.observations.append(
            Observation(
                organization=self.organization,
                patient=patient,
                code=code,
                value=value,
                value_reported=str(value),
                effective_at=when,
                source_kind="hospital_system",
                source_system="his",
                source_id=str(next(_sources)),
                **fields,
            )
        )

    def series(self, patient: Patient, code: str, values: list[float], step: int = 90, last: int = 1) -> None:
        for back, value in enumerate(reversed(values)):
            self.result(patient, code, value, self.at(last + back * step))

    def tag(self, patient: Patient, name: str) -> None:
        tag, _ = Tag.objects.get_or_create(organization=self.organization, name=name)
        PatientTag.objects.create(patient=patient, tag=tag)

    def score(self, patient: Patient, code: str, total: float, band: str, days_ago: int) -> None:
        self.version = self.version or phq9(self.organization)
        version = self.version
        answer = QuestionnaireAnswer.objects.create(
            organization=self.organization, patient=patient, version=version, response={}
        )
        QuestionnaireScore.objects.create(
            organization=self.organization,
            patient=patient,
            answer=answer,
            code=code,
            total=total,
            band=band,
            answered_at=self.at(days_ago),
        )

    def consent(self, patient: Patient, purpose: str, granted: bool, days_ago: int) -> None:
        ConsentEvent.objects.create(patient=patient, purpose=purpose, granted=granted, at=self.at(days_ago))

    def contact(self, patient: Patient, outcome: str, days_ago: int, hour: int = 9, minute: int = 0) -> None:
        ContactRecord.objects.create(
            organization=self.organization,
            patient=patient,
            outcome=outcome,
            occurred_at=self.at(days_ago, hour, minute),
        )

    def alert(self, patient: Patient | None, status: str) -> None:
        Alert.objects.create(
            organization=self.organization,
            patient=patient,
            kind="questionnaire",
            severity="high",
            title="预警",
            source_type="test",
            source_id=str(next(_sources)),
            reason="test",
            status=status,
        )

    def discharge(self, patient: Patient, days_ago: int, department: str, hour: int = 10) -> None:
        left = self.at(days_ago, hour)
        Encounter.objects.create(
            patient=patient,
            encounter_class="inpatient",
            admitted_at=left - datetime.timedelta(days=5),
            discharged_at=left,
            department=department,
        )


def seed(organization: Organization, today: datetime.date, randoms: int = 60) -> list[Patient]:
    """Edge cases first, then `randoms` patients with a random mix of facts; returns them all."""
    s = Seeder(organization, today)
    people = _edge_cases(s)
    rng = random.Random(25)
    for _ in range(randoms):
        people.append(_random_patient(s, rng))
    _follow_up(s, people, random.Random(26))  # its own generator: the other facts stay as they were
    Observation.objects.bulk_create(s.observations)
    refresh_facts(organization.pk)
    return people


def _edge_cases(s: Seeder) -> list[Patient]:
    today = s.today
    nobody = s.patient(datetime.date(1990, 1, 1), sex="unknown")  # nothing known but age
    turns_65_today = s.patient(today.replace(year=today.year - 65))
    turns_65_tomorrow = s.patient((today + datetime.timedelta(days=1)).replace(year=today.year - 65))
    leap = s.patient(datetime.date(1960, 2, 29), sex="female")
    other = s.patient(datetime.date(1950, 6, 1), sex="other")
    # Thresholds exactly, and results at the edges of a local day.
    s.result(turns_65_today, SBP, 140, s.at(7, 0, 0))  # 7 days ago at local midnight
    s.result(turns_65_today, DBP, 90, s.at(8, 23, 59))  # 8 days ago, a minute before midnight
    s.result(turns_65_tomorrow, FPG, 7.0, s.at(0, 0, 1))
    s.result(turns_65_tomorrow, HBA1C, 6.5, s.at(30))
    s.result(leap, WAIST, 85, s.at(3))
    s.result(other, WAIST, 95, s.at(3))
    s.result(leap, BMI, 24.0, s.at(3))
    s.result(leap, SBP, 128, s.at(0, 8))  # today, and the same day as ...
    s.result(leap, FPG, 7.2, s.at(0, 11))  # ... a raised glucose for a type 2 diabetic
    s.result(other, HEIGHT, 170, s.at(400))
    s.result(other, WEIGHT, 81, s.at(2))  # 28.0 computed
    s.result(other, SBP, 200, s.at(1), status="entered-in-error")  # not a result
    s.result(nobody, EGFR, 80, s.at(-1))  # tomorrow: a device whose clock is ahead
    s.result(turns_65_tomorrow, SBP, 150, s.at(-1))
    s.result(other, DBP, 95, s.at(1, 8), status="cancelled")
    for patient, code in ((turns_65_today, "I10"), (leap, "E11.9"), (other, "i10")):
        Condition.objects.create(patient=patient, icd10_code=code, name="诊断")
    Condition.objects.create(patient=other, icd10_code="E11.9", name="诊断", clinical_status="resolved")
    Condition.objects.create(patient=leap, icd10_code="I15.0", name="诊断", clinical_status="recurrence")
    Medication.objects.create(patient=turns_65_today, name="依那普利", stop_date=today)  # last day today
    Medication.objects.create(patient=leap, name="依那普利", stop_date=today - datetime.timedelta(days=1))
    Medication.objects.create(patient=other, name="二甲双胍", start_date=today + datetime.timedelta(days=1))
    s.consent(turns_65_today, "care", True, 10)
    s.consent(turns_65_today, "care", False, 2)  # withdrawn since
    s.consent(leap, "care", False, 10)
    s.consent(leap, "care", True, 2)  # given again
    s.score(leap, "44261-6", 9, "mild", 100)
    s.score(leap, "44261-6", 21, "severe", 5)  # the newest total counts
    s.score(other, "44261-6", 12, "", 5)  # a total without a band
    s.discharge(turns_65_today, 7, "心内科", hour=0)  # the first minute of the 7th day back
    s.discharge(leap, 8, "心内科", hour=23)
    s.discharge(other, -1, "心内科")  # a planned discharge tomorrow
    s.discharge(turns_65_tomorrow, 0, "")
    return [nobody, turns_65_today, turns_65_tomorrow, leap, other]


def _random_patient(s: Seeder, rng: random.Random) -> Patient:
    born = s.today - datetime.timedelta(days=rng.randint(10 * 365, 95 * 365))
    patient = s.patient(born, sex=rng.choice(["male", "female", "female", "unknown"]))
    for code, low, high in ((SBP, 100, 180), (DBP, 60, 110), (FPG, 4.0, 11.0), (HBA1C, 4.5, 9.5)):
        if rng.random() < 0.6:
            count = rng.choice([1, 2, 3, 4])
            values = [round(rng.uniform(low, high), 1 if high < 20 else 0) for _ in range(count)]
            s.series(patient, code, values, rng.choice([30, 90, 180]), last=rng.randint(0, 60))
    if rng.random() < 0.5:
        s.result(patient, WAIST, rng.randint(70, 110), s.at(rng.randint(0, 400)))
    if rng.random() < 0.5:
        s.result(patient, HEIGHT, rng.randint(150, 185), s.at(rng.randint(0, 900)))
        if rng.random() < 0.8:
            s.result(patient, WEIGHT, rng.randint(45, 105), s.at(rng.randint(0, 300)))
    for code in rng.sample(CODES, rng.choice([0, 0, 1, 2])):
        status = rng.choice(["active", "active", "resolved"])
        Condition.objects.create(patient=patient, icd10_code=code, name="诊断", clinical_status=status)
    for name in rng.sample(TAGS, rng.choice([0, 1, 2])):
        s.tag(patient, name)
    if rng.random() < 0.4:
        stop = rng.choice([None, s.today - datetime.timedelta(days=3), s.today])
        Medication.objects.create(patient=patient, name=rng.choice(DRUGS), stop_date=stop)
    for _ in range(rng.choice([0, 1, 2])):
        s.consent(patient, rng.choice(["care", "marketing"]), rng.random() < 0.7, rng.randint(0, 30))
    if rng.random() < 0.4:
        total = rng.randint(0, 27)
        s.score(patient, "44261-6", total, rng.choice(["mild", "severe", ""]), rng.randint(0, 60))
    if rng.random() < 0.4:
        s.discharge(patient, rng.randint(0, 40), rng.choice(DEPARTMENTS))
    return patient


def _follow_up(s: Seeder, people: list[Patient], rng: random.Random) -> None:
    """Deaths, moves, contacts and alerts: edge cases on the first five, then at random."""
    turns_65_today, turns_65_tomorrow, leap, other = people[1:5]
    # Nobody (the first) was ever contacted and has no alert: missing contact, 0 alerts, alive, here.
    s.contact(turns_65_today, "reached", 90, 0, 0)  # the first minute of the 90th day back ...
    s.contact(turns_65_today, "no_answer", 1)  # ... and a later attempt that reached no one
    s.contact(turns_65_tomorrow, "no_answer", 5)  # only attempts that failed: missing
    s.contact(turns_65_tomorrow, "busy", 2)
    s.contact(leap, "reached", 200)
    s.contact(leap, "refused", 0, 8)  # today: a refusal is still reaching the patient
    s.contact(other, "reached", 31)
    s.contact(other, "hospitalised", 30, 23, 59)  # the last minute of the 30th day back
    _left(turns_65_tomorrow, "deceased_on", s.today)
    _left(leap, "moved_away_on", s.today - datetime.timedelta(days=400))
    s.alert(turns_65_today, "open")
    s.alert(turns_65_tomorrow, "resolved")  # resolved: none open
    for status in ("open", "acknowledged", "acknowledged", "resolved"):  # 3 unresolved
        s.alert(leap, status)
    s.alert(other, "acknowledged")
    s.alert(None, "open")  # about no one patient
    for patient in people[5:]:
        for _ in range(rng.choice([0, 0, 1, 2, 3])):
            s.contact(patient, rng.choice(OUTCOMES), rng.randint(-1, 200), rng.randint(0, 23))
        for _ in range(rng.choice([0, 0, 1, 2])):
            s.alert(patient, rng.choice(["open", "acknowledged", "resolved"]))
        if rng.random() < 0.15:
            _left(
                patient, rng.choice(["deceased_on", "moved_away_on"]), s.today - datetime.timedelta(days=30)
            )


def _left(patient: Patient, field: str, day: datetime.date) -> None:
    setattr(patient, field, day)
    patient.save(update_fields=[field])
