"""The Questionnaires tab of the patient page (问卷): the patient's answers, newest first, with their totals,
bands and flags in the reader's language, and the organization's questionnaires to fill in. The tab is
rendered (and audited) by the patient page."""

from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from careloop.accounts.roles import Perm
from careloop.patients.models import Patient
from careloop.patients.patient_tabs import Tab
from careloop.questionnaires.models import Questionnaire, QuestionnaireAnswer


def reader_language() -> str:
    """The instruments' language code ("zh" or "en") closest to the active UI language."""
    return "zh" if (get_language() or "").startswith("zh") else "en"


def in_language(entry: dict[str, Any], language: str) -> str:
    """A band's or flag's wording: in `language` when the instrument gives it, else in English."""
    return str(entry.get(language) or entry.get("en") or entry.get("code") or "")


def answer_summary(answer: QuestionnaireAnswer, language: str) -> dict[str, Any]:
    scores = answer.scores or {}
    return {
        "answer": answer,
        "title": answer.version.questionnaire.title,
        "scores": [
            {
                "total": score["total"],
                "band": in_language(score["band"], language) if score.get("band") else "",
                "band_code": score["band"]["code"] if score.get("band") else "",
                "reason": score.get("reason") or "",
            }
            for score in scores.get("scores", [])
        ],
        "flags": [in_language(flag, language) for flag in scores.get("flags", []) if flag.get("raised")],
    }


def questionnaires_context(patient: Patient) -> dict[str, Any]:
    language = reader_language()
    answers = (
        QuestionnaireAnswer.objects.filter(organization_id=patient.organization_id, patient=patient)
        .select_related("version__questionnaire", "answered_by")
        .order_by("-answered_at", "-pk")
    )
    offered = Questionnaire.objects.filter(organization_id=patient.organization_id, status="active")
    # The reader's language first: a nurse who reads Chinese usually asks in Chinese.
    choices = sorted(offered, key=lambda q: (q.language != language, q.key, q.language))
    return {
        "questionnaire_answers": [answer_summary(answer, language) for answer in answers],
        "questionnaire_choices": choices,
        "reader_language": language,
    }


QUESTIONNAIRES_TAB = Tab(
    "questionnaires",
    _("Questionnaires"),
    Perm.RECORD_VIEW,
    "questionnaires/tab.html",
    questionnaires_context,
)
