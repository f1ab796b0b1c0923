"""The alerts a questionnaire answer raises, at once, in the transaction that stores the answer.

Which answers alert is the instrument's data, not code: a band or a flag that carries `alert` in the
CareLoop scoring extension (questionnaires/scoring_rules.py) raises an alert of that severity, kept in
the answer's stored scores. This module only names the cause: the band and total, or the flag with each
item it looks at, the question as the patient was asked it and the answer given (issue 24: "the alert
shows the answer that caused it").

It lives here, not in the questionnaires app, because the inbox will gather alerts from several sources
(critical results, crisis text, ...) and each source's wording belongs next to the others.
"""

from typing import Any

from careloop.alerts.actions import do_raise_alert
from careloop.alerts.models import Alert
from careloop.questionnaires.models import QuestionnaireAnswer

SOURCE_TYPE = "questionnaire_answer"


def raise_questionnaire_alerts(answer: QuestionnaireAnswer) -> list[Alert]:
    """The alerts this answer raises (made once: calling again returns the same ones)."""
    if answer.patient_id is None:  # an anonymous answer: there is nobody to follow up
        return []
    patient = answer.patient
    version = answer.version
    questionnaire = version.questionnaire
    rules = version.parsed.scoring
    flag_items = {flag.code: [c.item for c in flag.when] for flag in (rules.flags if rules else ())}
    given = _given(answer.response.get("item", []))
    about = {
        "questionnaire": {
            "key": questionnaire.key,
            "title": questionnaire.title,
            "language": questionnaire.language,
        },
        "version": version.number,
        "answer_id": answer.pk,
    }
    causes: list[tuple[str, str, dict[str, Any], list[dict[str, Any]]]] = []
    for flag in answer.scores.get("flags", []):
        if flag.get("raised") and flag.get("alert"):
            cause = {"type": "flag", **{k: flag.get(k) for k in ("code", "en", "zh")}}
            items = [given[link_id] for link_id in flag_items.get(flag["code"], []) if link_id in given]
            causes.append((flag["alert"], f"flag:{flag['code']}", cause, items))
    for score in answer.scores.get("scores", []):
        band = score.get("band") or {}
        if band.get("alert"):
            cause = {"type": "band", "score": score["code"], "total": score["total"]}
            cause |= {k: band.get(k) for k in ("code", "en", "zh")}
            causes.append((band["alert"], f"band:{score['code']}:{band['code']}", cause, []))
    alerts = []
    for severity, reason, cause, items in causes:
        alert, _created = do_raise_alert(
            organization_id=answer.organization_id,
            patient=patient,
            kind="questionnaire",
            severity=severity,
            title=_title(questionnaire.title, questionnaire.language, cause, items),
            source_type=SOURCE_TYPE,
            source_id=str(answer.pk),
            reason=reason,
            detail={**about, "cause": cause, "items": items},
            raised_at=answer.answered_at,
            actor=answer.answered_by,
        )
        alerts.append(alert)
    return alerts


def _given(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each answered item of a QuestionnaireResponse: its question as asked, and the answer in words."""
    found: dict[str, dict[str, Any]] = {}
    for item in items:
        if item.get("answer"):
            found[item["linkId"]] = {
                "link_id": item["linkId"],
                "text": item.get("text") or item["linkId"],
                "answer": "; ".join(_words(value) for value in item["answer"]),
            }
        found |= _given(item.get("item", []))
    return found


def _words(answer: dict[str, Any]) -> str:
    for key, value in answer.items():
        if key == "valueCoding":
            return str(value.get("display") or value.get("code"))
        if key.startswith("value"):
            return str(value)
    return ""


def _title(title: str, language: str, cause: dict[str, Any], items: list[dict[str, Any]]) -> str:
    """A plain-text name for lists outside the inbox (the admin, exports), in the questionnaire's language."""
    if items:
        return f"{title} {items[0]['link_id']}. {items[0]['text']}: {items[0]['answer']}"
    band = cause.get(language) or cause.get("en") or cause.get("code")
    return f"{title} {cause.get('total')} {band}"
