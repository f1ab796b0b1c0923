"""What the task page shows beside the outcome form: the call script, the questionnaire to fill during the
call, the patient's latest key results and last contacts."""

from typing import Any

from django.db.models import Count
from django.utils import timezone

from careloop.accounts.models import User
from careloop.facts.models import LatestIndicator
from careloop.facts.sources import local_midnight
from careloop.followup.contact_models import ContactRecord
from careloop.followup.models import Task
from careloop.observations.catalogue import by_code
from careloop.questionnaires.models import Questionnaire, QuestionnaireAnswer
from careloop.questionnaires.tab import in_language, reader_language

RECENT_CONTACTS = 5
# The results a follow-up call asks about first: blood pressure, glucose, HbA1c, BMI, LDL-C (LOINC).
KEY_RESULTS = ("8480-6", "8462-4", "1558-6", "4548-4", "39156-5", "18262-6")


def call_script(task: Task, language: str) -> str:
    definition = task.enrolment.protocol.parsed
    for step in definition.steps:
        if step.key == task.step:
            return in_language(dict(step.content.text), language)
    for adaptation in definition.adaptations:
        if adaptation.key == task.step:
            return in_language(dict(adaptation.text), language)
    return ""


def call_questionnaire(task: Task, language: str) -> Questionnaire | None:
    """The questionnaire the step asks for, in the reader's language when the organization has it."""
    if task.content_kind != "questionnaire" or not task.content_ref:
        return None
    found = Questionnaire.objects.filter(
        organization_id=task.organization_id, key=task.content_ref, status="active"
    ).order_by("pk")
    return next((q for q in found if q.language == language), None) or found.first()


def call_answer(task: Task, user: User) -> QuestionnaireAnswer | None:
    """The step's questionnaire as this user filled it for the patient today (during the call), if so."""
    if task.content_kind != "questionnaire" or not task.content_ref:
        return None
    start = local_midnight(timezone.localdate())
    return (
        QuestionnaireAnswer.objects.filter(
            patient_id=task.enrolment.patient_id,
            version__questionnaire__key=task.content_ref,
            answered_by=user,
            answered_at__gte=start,
        )
        .order_by("-answered_at")
        .first()
    )


def key_results(patient_id: int, language: str) -> list[dict[str, Any]]:
    rows = LatestIndicator.objects.filter(patient_id=patient_id, code__in=KEY_RESULTS)
    results = []
    for row in sorted(rows, key=lambda r: KEY_RESULTS.index(r.code)):
        indicator = by_code(row.code)
        if indicator is None:
            continue
        results.append(
            {
                "name": indicator.name_zh if language == "zh" else indicator.name_en,
                "value": f"{row.value:.{indicator.decimals}f}",
                "unit": indicator.unit_display,
                "observed_at": row.observed_at,
                "trend": row.trend,
            }
        )
    return results


def task_context(task: Task, user: User) -> dict[str, Any]:
    language = reader_language()
    patient = task.enrolment.patient
    contacts = (
        ContactRecord.objects.filter(patient=patient)
        .select_related("recorded_by")
        .annotate(recording_count=Count("recordings"))[:RECENT_CONTACTS]
    )
    return {
        "task": task,
        "patient": patient,
        "enrolment": task.enrolment,
        "script": call_script(task, language),
        "questionnaire": call_questionnaire(task, language),
        "answer": call_answer(task, user),
        "key_results": key_results(patient.pk, language),
        "contacts": list(contacts),
    }
