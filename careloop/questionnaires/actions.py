"""The questionnaire app's changes of state: installing the shipped instruments, recording an answer.

Every organization gets each shipped instrument in each language it ships in, as its own questionnaire
(key "phq-9", language "zh" or "en"): staff pick the one in the language the patient answers in.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from careloop.accounts import audit
from careloop.accounts.models import Organization, User
from careloop.alerts.questionnaire_alerts import raise_questionnaire_alerts
from careloop.patients.models import Patient
from careloop.questionnaires.definition import Questionnaire as Definition
from careloop.questionnaires.instruments import SHIPPED, instrument, instrument_json
from careloop.questionnaires.models import (
    Questionnaire,
    QuestionnaireAnswer,
    QuestionnaireScore,
    QuestionnaireVersion,
)
from careloop.questionnaires.responses import build_response, validate_answers
from careloop.questionnaires.scoring import InvalidAnswers, Scoring, score_answers


@transaction.atomic
def do_install_shipped(organization: Organization) -> list[QuestionnaireVersion]:
    """Install (or bring up to date) the shipped instruments; the current version of each.

    Idempotent: an unchanged definition installs nothing. A changed one becomes a new version, so the
    answers given to the old one keep the wording they were given with.
    """
    current = []
    for key, language in SHIPPED:
        definition = instrument_json(key, language)
        title = instrument(key, language).title or key
        questionnaire, _ = Questionnaire.objects.get_or_create(
            organization=organization, key=key, language=language, defaults={"title": title}
        )
        latest = questionnaire.versions.order_by("-number").first()
        if latest is None or latest.definition != definition:
            latest = QuestionnaireVersion.objects.create(
                questionnaire=questionnaire,
                number=(latest.number + 1) if latest else 1,
                definition=definition,
            )
            if questionnaire.title != title:
                questionnaire.title = title
                questionnaire.save(update_fields=["title"])
            audit.record(
                "questionnaire.install",
                organization_id=organization.pk,
                obj=latest,
                detail={"key": key, "language": language, "version": latest.number},
            )
        current.append(latest)
    return current


def current_version(questionnaire: Questionnaire) -> QuestionnaireVersion | None:
    return questionnaire.versions.order_by("-number").first()


def do_record_answer(
    user: User | None,
    patient: Patient,
    version: QuestionnaireVersion,
    answers: Mapping[str, Sequence[object]],
    channel: str = "staff",
) -> QuestionnaireAnswer:
    """Validate, score and store a completed questionnaire; raises `InvalidAnswers` listing each problem
    by linkId, and ValueError for a version of another organization.

    An anonymous questionnaire (a satisfaction survey) answered by link is stored without the patient,
    at the day it was given rather than the second, so the answer cannot be joined back to who gave it.
    """
    if version.questionnaire.organization_id != patient.organization_id:
        raise ValueError("the questionnaire belongs to another organization")
    definition = version.parsed
    errors = validate_answers(definition, answers)
    if errors:
        raise InvalidAnswers(errors)
    sex = patient.sex if patient.sex in ("male", "female") else None
    scoring = score_answers(definition, answers, sex=sex)
    anonymous = channel == "link" and is_anonymous(definition)
    now = timezone.now()
    if anonymous:
        now = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    subject = None if anonymous else f"Patient/{patient.pk}"
    response = build_response(definition, answers, authored=now, subject_reference=subject)
    with transaction.atomic():
        answer = QuestionnaireAnswer.objects.create(
            organization_id=patient.organization_id,
            patient=None if anonymous else patient,
            version=version,
            response=response,
            scores=scores_json(scoring),
            answered_by=user,
            answered_at=now,
            channel=channel,
        )
        if not anonymous:
            QuestionnaireScore.objects.bulk_create(score_rows(answer))
        audit.record(
            "questionnaire.answer",
            organization_id=patient.organization_id,
            obj=None if anonymous else answer,
            patient_id=None if anonymous else patient.pk,
            actor=user,
            detail={
                "questionnaire": version.questionnaire.key,
                "language": version.questionnaire.language,
                "version": version.number,
                "channel": channel,
                "totals": [score["total"] for score in answer.scores["scores"]],
                "flags": [flag["code"] for flag in answer.scores["flags"] if flag["raised"]],
            },
        )
        raise_questionnaire_alerts(answer)
    return answer


def score_rows(answer: QuestionnaireAnswer) -> list[QuestionnaireScore]:
    """The answer's totals as rows (those that could be computed; a total left blank has none)."""
    assert answer.patient_id is not None
    return [
        QuestionnaireScore(
            organization_id=answer.organization_id,
            patient_id=answer.patient_id,
            answer=answer,
            code=score["code"],
            total=score["total"],
            band=score["band"]["code"] if score.get("band") else "",
            answered_at=answer.answered_at,
        )
        for score in answer.scores.get("scores", [])
        if score.get("total") is not None
    ]


def is_anonymous(definition: Definition) -> bool:
    return bool(getattr(definition, "anonymous", False))


def scores_json(scoring: Scoring) -> dict[str, Any]:
    """What is kept of a scoring: totals with their band in both languages, flags, and why not."""
    return {
        "scores": [
            {
                "code": result.rule.code,
                "display": result.rule.display,
                "total": result.total,
                "band": None
                if result.band is None
                else {
                    "code": result.band.code,
                    "en": result.band.en,
                    "zh": result.band.zh,
                    "alert": result.band.alert,
                },
                "reason": result.reason,
            }
            for result in scoring.scores
        ],
        "flags": [
            {
                "code": flag.rule.code,
                "en": flag.rule.en,
                "zh": flag.rule.zh,
                "raised": flag.raised,
                "reason": flag.reason,
                "alert": flag.rule.alert,
            }
            for flag in scoring.flags
        ],
    }
