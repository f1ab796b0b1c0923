"""The doctor's one-screen pre-visit brief (就诊前摘要), assembled from the stations that hold it.

What the patient wrote on the latest intake form (问诊表: chief complaint, changes since the last visit),
the abnormal results since the intake before it (the last visit) or, with no earlier intake, over the
last 90 days; the current result of each scored questionnaire; and the current medicines and allergies of
the health record. Every read is one query scoped by the patient's organization, whatever the history's
length. The page only reads: nothing here judges a value, the flags are the ones stored on arrival.
"""

import datetime
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from careloop.observations import catalogue
from careloop.observations.models import FLAGS, Observation
from careloop.observations.trends.tab import HIDDEN_STATUSES
from careloop.patients.models import Allergy, Medication, Patient
from careloop.questionnaires.models import QuestionnaireAnswer
from careloop.questionnaires.tab import answer_summary

INTAKE_KEY = "intake"  # the shipped intake form's key (instruments/intake.*.json)
CHIEF_COMPLAINT = "chief-complaint"
CHANGES = "changes-since-last-visit"
PATIENT_MEDICATIONS = "medications"
PATIENT_ALLERGIES = "allergies"
ALLERGY_DETAILS = "allergy-details"
# With no earlier intake to date the last visit from, a quarter's results: the same look-back as a
# follow-up every three months (followup-norms.md §6, practice), not a clinical rule.
DEFAULT_WINDOW = datetime.timedelta(days=90)
ABNORMAL = ("critical_high", "critical_low", "high", "low", "abnormal")
CRITICAL = ("critical_high", "critical_low")


@dataclass(frozen=True)
class Intake:
    answer: QuestionnaireAnswer
    chief_complaint: str
    changes: str
    medications: str  # as the patient wrote them: the doctor compares them with the record's
    allergies: str


@dataclass(frozen=True)
class AbnormalResult:
    """The latest abnormal result of one indicator in the window, and how many abnormal ones it had."""

    code: str
    name: str
    value: str
    flag: str
    flag_label: str
    effective_at: datetime.datetime
    reference_range: str
    count: int

    @property
    def critical(self) -> bool:
        return self.flag in CRITICAL


@dataclass(frozen=True)
class Brief:
    patient: Patient
    intake: Intake | None
    since: datetime.datetime
    since_previous_intake: bool  # else the default window
    results: list[AbnormalResult]
    scores: list[dict[str, Any]]  # tab.answer_summary of the latest answer to each scored questionnaire
    medications: list[Medication] = field(default_factory=list)
    allergies: list[Allergy] = field(default_factory=list)


def previsit_brief(patient: Patient, language: str, now: datetime.datetime | None = None) -> Brief:
    now = now or timezone.now()
    answers = QuestionnaireAnswer.objects.filter(organization_id=patient.organization_id, patient=patient)
    intakes = list(
        answers.filter(version__questionnaire__key=INTAKE_KEY)
        .select_related("version__questionnaire")
        .order_by("-answered_at", "-pk")[:2]
    )
    since = intakes[1].answered_at if len(intakes) > 1 else now - DEFAULT_WINDOW
    today = timezone.localdate(now)
    return Brief(
        patient=patient,
        intake=_intake(intakes[0]) if intakes else None,
        since=since,
        since_previous_intake=len(intakes) > 1,
        results=abnormal_results(patient, since, language),
        scores=_current_scores(answers, language),
        medications=list(
            Medication.objects.filter(patient=patient).filter(
                Q(stop_date__isnull=True) | Q(stop_date__gte=today)
            )
        ),
        allergies=list(Allergy.objects.filter(patient=patient)),
    )


def abnormal_results(patient: Patient, since: datetime.datetime, language: str) -> list[AbnormalResult]:
    """One row per indicator with an abnormal result since `since`: critical ones first, then newest."""
    rows = (
        Observation.objects.filter(
            organization_id=patient.organization_id,
            patient_id=patient.pk,
            effective_at__gte=since,
            flag__in=ABNORMAL,
        )
        .exclude(status__in=HIDDEN_STATUSES)
        .order_by("-effective_at", "-pk")
        .values_list(
            "code", "value_reported", "unit_reported", "flag", "effective_at", "reference_range_reported"
        )
    )
    labels = dict(FLAGS)
    latest: dict[str, AbnormalResult] = {}
    counts: dict[str, int] = {}
    for code, value, unit, flag, at, reference in rows:
        counts[code] = counts.get(code, 0) + 1
        if code not in latest:
            indicator = catalogue.by_code(code)
            name = (indicator.name_zh if language == "zh" else indicator.name_en) if indicator else code
            latest[code] = AbnormalResult(
                code, name, f"{value} {unit}".strip(), flag, str(labels[flag]), at, reference, 0
            )
    found = [replace(result, count=counts[code]) for code, result in latest.items()]
    # Newest first, then critical ones to the top (the sort is stable).
    return sorted(found, key=lambda result: not result.critical)


def _intake(answer: QuestionnaireAnswer) -> Intake:
    values = response_values(answer.response.get("item", []))
    # The details say it all when given; else the answer itself (no, not sure).
    allergies = "\n".join(values.get(ALLERGY_DETAILS) or values.get(PATIENT_ALLERGIES, []))
    return Intake(
        answer=answer,
        chief_complaint="\n".join(values.get(CHIEF_COMPLAINT, [])),
        changes="\n".join(values.get(CHANGES, [])),
        medications="\n".join(values.get(PATIENT_MEDICATIONS, [])),
        allergies=allergies,
    )


def response_values(items: list[dict[str, Any]]) -> dict[str, list[str]]:
    """A QuestionnaireResponse's answers as text by linkId, nested items included."""
    found: dict[str, list[str]] = {}
    for item in items:
        for answer in item.get("answer", []):
            for key, value in answer.items():
                if key == "valueCoding":
                    found.setdefault(item["linkId"], []).append(str(value.get("display") or value["code"]))
                elif key.startswith("value"):
                    found.setdefault(item["linkId"], []).append(str(value))
        found.update(response_values(item.get("item", [])))
    return found


def _current_scores(answers: Any, language: str) -> list[dict[str, Any]]:
    """The latest answer to each questionnaire (by key: its Chinese and English versions are one
    instrument) that has a total or a flag; the questionnaires without either are not results."""
    latest = (
        answers.filter(version__questionnaire__key=OuterRef("version__questionnaire__key"))
        .order_by("-answered_at", "-pk")
        .values("pk")[:1]
    )
    current = (
        answers.filter(pk=Subquery(latest))
        .select_related("version__questionnaire")
        .order_by("version__questionnaire__key")
    )
    return [
        answer_summary(answer, language)
        for answer in current
        if answer.scores.get("scores") or answer.scores.get("flags")
    ]
