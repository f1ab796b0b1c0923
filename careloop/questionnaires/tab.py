"""The Questionnaires tab of the patient page (问卷): the patient's answers, newest first, with their totals,
bands and flags in the reader's language, and the organization's questionnaires to fill in. The tab is
rendered (and audited) by the patient page."""

from typing import Any

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from careloop.accounts.roles import Perm
from careloop.patients.models import Patient
from careloop.patients.patient_tabs import Tab
from careloop.questionnaires.models import (
    Questionnaire,
    QuestionnaireAnswer,
    QuestionnaireInvitation,
    QuestionnaireVersion,
)


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


def score_history(answers: list[QuestionnaireAnswer], language: str) -> list[dict[str, Any]]:
    """Each score's totals over time, oldest first, with the bands of its newest version: the chart.

    A score is named by its code (PHQ-9's total is LOINC 44261-6 whether answered in Chinese or English),
    so the answers in both languages make one line.
    """
    series: dict[str, dict[str, Any]] = {}
    newest: dict[str, QuestionnaireVersion] = {}
    for answer in sorted(answers, key=lambda a: (a.answered_at, a.pk)):
        for score in (answer.scores or {}).get("scores", []):
            if score.get("total") is None:
                continue
            line = series.setdefault(score["code"], {"code": score["code"], "points": []})
            line["name"] = answer.version.questionnaire.title
            newest[score["code"]] = answer.version
            band = score.get("band")
            line["points"].append(
                {
                    "t": answer.answered_at.isoformat(),
                    "v": score["total"],
                    "band": in_language(band, language) if band else "",
                }
            )
    for code, line in series.items():
        line["bands"] = _bands(newest[code], code, language)
    return list(series.values())


def _bands(version: QuestionnaireVersion, code: str, language: str) -> list[dict[str, Any]]:
    rules = version.parsed.scoring
    for rule in rules.scores if rules else ():
        if rule.code == code:
            # Sex-specific and optional-policy bands overlap the default ones; the chart shows the default.
            return [
                {
                    "min": band.min,
                    "max": band.max,
                    "label": (band.zh if language == "zh" else None) or band.en,
                }
                for band in rule.bands
                if band.sex is None and band.policy is None
            ]
    return []


def questionnaires_context(patient: Patient) -> dict[str, Any]:
    language = reader_language()
    answers = list(
        QuestionnaireAnswer.objects.filter(organization_id=patient.organization_id, patient=patient)
        .select_related("version__questionnaire", "answered_by")
        .order_by("-answered_at", "-pk")
    )
    links = (
        QuestionnaireInvitation.objects.filter(organization_id=patient.organization_id, patient=patient)
        .select_related("version__questionnaire")
        .order_by("-created_at", "-pk")[:20]
    )
    now = timezone.now()
    offered = Questionnaire.objects.filter(organization_id=patient.organization_id, status="active")
    # The reader's language first: a nurse who reads Chinese usually asks in Chinese.
    choices = sorted(offered, key=lambda q: (q.language != language, q.key, q.language))
    return {
        "questionnaire_answers": [answer_summary(answer, language) for answer in answers],
        "score_history": score_history(answers, language),
        "questionnaire_links": [{"invitation": link, "state": link.state(now)} for link in links],
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
