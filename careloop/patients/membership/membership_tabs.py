"""The patient page's membership tabs: cards, family, consent (registered by PatientsConfig.ready()). Each
tab's data is a fixed number of queries however many cards, relatives or consent events the patient has."""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from careloop.accounts.roles import Perm
from careloop.patients.cardnumbers import format_card_number
from careloop.patients.membership import cardstates, consents
from careloop.patients.membership.forms import (
    CardReasonForm,
    ConsentForm,
    FamilyLinkForm,
    IssueCardForm,
    ReplaceCardForm,
)
from careloop.patients.models import FamilyLink, MembershipCard, Patient
from careloop.patients.patient_tabs import Tab


@dataclass(frozen=True)
class CardRow:
    card: MembershipCard
    replaces: MembershipCard | None
    replaced_by: MembershipCard | None

    @property
    def number(self) -> str:
        return format_card_number(self.card.number)

    @property
    def replaces_number(self) -> str:
        return format_card_number(self.replaces.number) if self.replaces else ""

    @property
    def replaced_by_number(self) -> str:
        return format_card_number(self.replaced_by.number) if self.replaced_by else ""


def cards_context(patient: Patient) -> dict[str, Any]:
    cards = list(MembershipCard.objects.filter(patient=patient).order_by("-issued_on", "-id"))
    by_id = {card.pk: card for card in cards}
    successor = {card.replaces_id: card for card in cards if card.replaces_id}
    rows = [CardRow(card, by_id.get(card.replaces_id or 0), successor.get(card.pk)) for card in cards]
    current = next((row for row in rows if cardstates.is_in_force(row.card.status)), None)
    return {
        "current": current,
        "card_rows": rows,
        "issue_form": IssueCardForm(),
        "replace_form": ReplaceCardForm(initial={"tier": current.card.tier if current else "standard"}),
        "reason_form": CardReasonForm(),
    }


def family_context(patient: Patient) -> dict[str, Any]:
    links = FamilyLink.objects.filter(patient=patient).select_related("related_patient").order_by("id")
    return {"family_links": list(links), "family_form": FamilyLinkForm(patient=patient)}


def consent_context(patient: Patient) -> dict[str, Any]:
    states, ledger = consents.overview(patient)
    return {"consent_states": states, "consent_ledger": ledger, "consent_form": ConsentForm(patient=patient)}


MEMBERSHIP_TABS = (
    Tab("cards", _("Membership card"), Perm.PATIENT_VIEW, "patients/membership/cards.html", cards_context),
    Tab("family", _("Family"), Perm.PATIENT_VIEW, "patients/membership/family.html", family_context),
    Tab("consent", _("Consent"), Perm.PATIENT_VIEW, "patients/membership/consent.html", consent_context),
)
