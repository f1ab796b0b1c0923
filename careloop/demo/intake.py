"""The demo clinic's pre-visit brief: a patient with abnormal results answers the intake form (问诊表)
before a visit, as they did before the last one, so the doctor's brief has a chief complaint, changes
since that visit and the abnormal results in between; and a discharged patient answers the
post-discharge check, asking to be called back, so the brief and the Questionnaires tab show its flag."""

# ruff: noqa: RUF001 -- what patients write in Chinese takes full-width punctuation.

import datetime

from django.db.models import Exists, OuterRef
from django.utils import timezone

from careloop.accounts.models import Organization, User
from careloop.observations.models import Observation
from careloop.observations.trends.tab import HIDDEN_STATUSES
from careloop.patients.models import Allergy, Condition, Encounter, Medication, Patient
from careloop.questionnaires.actions import do_install_shipped, do_record_answer
from careloop.questionnaires.brief import ABNORMAL, INTAKE_KEY
from careloop.questionnaires.definition import Coding
from careloop.questionnaires.models import QuestionnaireAnswer, QuestionnaireVersion


def record_demo_intake(organization: Organization) -> list[QuestionnaireAnswer]:
    """Two intake answers and a post-discharge check; none when no patient has an abnormal result."""
    versions = {
        v.questionnaire.key: v for v in do_install_shipped(organization) if v.questionnaire.language == "zh"
    }
    nurse = User.objects.get(organization=organization, username="nurse")
    # A patient on medicines shows the whole brief (the record's list beside what they wrote).
    on_medicines = Exists(
        Medication.objects.filter(patient_id=OuterRef("patient_id"), stop_date__isnull=True)
    )
    latest = (
        Observation.objects.filter(
            organization=organization, flag__in=ABNORMAL, patient__merged_into__isnull=True
        )
        .exclude(status__in=HIDDEN_STATUSES)
        .order_by(on_medicines.desc(), "-effective_at", "patient_id")
        .values_list("patient_id", "effective_at")
        .first()
    )
    if latest is None:
        return []
    patient = Patient.objects.get(pk=latest[0])
    # The previous visit's intake a month before the latest abnormal result: the brief lists the results
    # since then. Never in the future, for a result dated today.
    now = timezone.now()
    earlier = min(latest[1] - datetime.timedelta(days=30), now - datetime.timedelta(days=30))
    intake = versions[INTAKE_KEY]
    recorded = [
        _at(do_record_answer(nurse, patient, intake, _intake_answers(patient, intake, first=True)), earlier),
        _at(do_record_answer(nurse, patient, intake, _intake_answers(patient, intake, first=False)), now),
    ]
    discharged = (
        Encounter.objects.filter(
            patient__organization=organization, patient__merged_into__isnull=True, discharged_at__lte=now
        )
        .order_by("-discharged_at")
        .first()
    )
    check = versions["post-discharge"]
    answers: dict[str, list[object]] = {
        "overall": _option(check, "overall", "same"),
        "new-or-worse-symptoms": _option(check, "new-or-worse-symptoms", "N"),
        "medicines": _option(check, "medicines", "partly"),
        "medicines-detail": ["晚上那次常忘记吃"],
        "complications": _option(check, "complications", "N"),
        "questions": ["出院带的药吃完后，是去社区开还是回医院开？"],
        "call-back": _option(check, "call-back", "Y"),
    }
    someone = discharged.patient if discharged else patient
    recorded.append(_at(do_record_answer(nurse, someone, check, answers), now - datetime.timedelta(days=3)))
    return recorded


def _intake_answers(
    patient: Patient, version: QuestionnaireVersion, *, first: bool
) -> dict[str, list[object]]:
    """What the patient writes, consistent with their health record (conditions, medicines, allergies)."""
    conditions = "、".join(Condition.objects.filter(patient=patient).values_list("name", flat=True))
    medicines = "、".join(
        f"{name} {dose}".strip()
        for name, dose in Medication.objects.filter(patient=patient, stop_date__isnull=True).values_list(
            "name", "dose"
        )
    )
    allergies = "、".join(Allergy.objects.filter(patient=patient).values_list("substance", flat=True))
    answers: dict[str, list[object]] = {
        "chief-complaint": ["体检有指标异常，来复查" if first else "最近两周容易疲乏，想复查上次异常的指标"],
        "past-history": [conditions or "没有"],
        "allergies": _option(version, "allergies", "yes" if allergies else "no"),
    }
    if medicines:
        answers["medications"] = [medicines]
    if allergies:
        answers["allergy-details"] = [allergies]
    if not first:
        answers["present-illness"] = ["两周前开始下午容易累，睡眠一般，没有发热"]
        answers["changes-since-last-visit"] = ["上次就诊后开始少吃油盐，每周快走三次；最近工作忙，常熬夜"]
    return answers


def _option(version: QuestionnaireVersion, link_id: str, code: str) -> list[object]:
    options = version.parsed.item(link_id).answer_options
    return [next(o.value for o in options if isinstance(o.value, Coding) and o.value.code == code)]


def _at(answer: QuestionnaireAnswer, moment: datetime.datetime) -> QuestionnaireAnswer:
    answer.answered_at = moment
    answer.save(update_fields=["answered_at"])
    answer.score_rows.update(answered_at=moment)  # the score rows carry the answer's time too
    return answer
