"""An alert in the reader's words: what raised it and the answer that did, from its stored `detail`.

Words come from the detail at reading time, not from the stored title, so a Chinese reader and an
English reader see the same alert each in their language (bands and flags carry both).
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from careloop.alerts.models import UNRESOLVED, Alert
from careloop.alerts.urgency import by_urgency
from careloop.patients.models import Patient
from careloop.questionnaires.tab import in_language


@dataclass(frozen=True)
class Described:
    headline: str  # one line for the inbox row: "PHQ-9 item 9: Several days"
    cause: str  # why, in full: the flag's wording, or the total and its band
    answers: list[dict[str, str]] = field(default_factory=list)  # {"link_id", "text", "answer"}
    answer_id: int | None = None  # the questionnaire answer to open


def describe(alert: Alert, language: str) -> Described:
    if alert.kind == "lost_to_followup":
        protocol = in_language(alert.detail.get("protocol", {}), language) or alert.title
        attempts = alert.detail.get("attempts", 3)
        cause = _("%(attempts)s attempts in a row reached no one") % {"attempts": attempts}
        return Described(_("Lost to follow-up: %(protocol)s") % {"protocol": protocol}, cause)
    if alert.kind != "questionnaire":
        return Described(alert.title, alert.title)
    detail = alert.detail
    title = str(detail.get("questionnaire", {}).get("title") or alert.title)
    cause = detail.get("cause", {})
    items = list(detail.get("items", []))
    if cause.get("type") == "band":
        because = _("total %(total)s, %(band)s") % {
            "total": cause.get("total"),
            "band": in_language(cause, language),
        }
    else:
        because = in_language(cause, language)
    if items:
        first = items[0]
        headline = _("%(questionnaire)s item %(item)s: %(answer)s") % {
            "questionnaire": title,
            "item": first["link_id"],
            "answer": first["answer"],
        }
    else:
        headline = f"{title} {because}"
    return Described(headline, because, items, detail.get("answer_id"))


def unresolved_alerts_described(patient: Patient, language: str) -> list[tuple[Alert, Described]]:
    """The patient's alerts not resolved yet, most pressing first, each in the reader's words (one query)."""
    alerts = by_urgency(
        Alert.objects.filter(organization_id=patient.organization_id, patient=patient, status__in=UNRESOLVED)
    )
    return [(alert, describe(alert, language)) for alert in alerts]
