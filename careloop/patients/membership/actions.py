"""Changes to membership cards, family links and the consent ledger: one transaction and audit entry each.

A refusal raises `Refused` with a translated message (and the form field it concerns, if any); nothing is
saved then. Mobile numbers never reach the audit detail.
"""

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.accounts import audit
from careloop.accounts.audit import snapshot
from careloop.accounts.models import User
from careloop.fieldcrypto import Undecryptable
from careloop.patients.actions import changed_fields
from careloop.patients.cardnumbers import card_number
from careloop.patients.forms import identifier_message
from careloop.patients.idcard import IdentifierError, parse_mobile
from careloop.patients.membership import cardstates, guardianship
from careloop.patients.models import CardSequence, ConsentEvent, FamilyLink, MembershipCard, Patient

CARD_SEQUENCE = "membership_card"


class Refused(Exception):
    """The change is not allowed; `message` says why in the user's language, `field` names the form field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


# --- cards ---------------------------------------------------------------------------------------


def _draw_card_number() -> str:
    """The next number from the one sequence row, locked until the caller's transaction ends.

    SELECT ... FOR UPDATE makes concurrent issuers on PostgreSQL queue on the row, so no number is drawn
    twice and none is skipped unless a transaction rolls back.
    """
    row = CardSequence.objects.select_for_update().filter(name=CARD_SEQUENCE).first()
    if row is None:
        CardSequence.objects.get_or_create(name=CARD_SEQUENCE)
        row = CardSequence.objects.select_for_update().get(name=CARD_SEQUENCE)
    CardSequence.objects.filter(name=CARD_SEQUENCE).update(next_value=F("next_value") + 1)
    return card_number(row.next_value)


def _lock_patient(patient: Patient) -> None:
    # Serializes card changes of one patient, so two desks cannot both see "no card" and both issue one.
    Patient.objects.select_for_update().filter(pk=patient.pk).values_list("pk", flat=True).first()


def _card_in_force(patient: Patient) -> MembershipCard | None:
    return MembershipCard.objects.filter(patient=patient, status__in=cardstates.IN_FORCE).first()


def _new_card(patient: Patient, tier: str, note: str, replaces: MembershipCard | None) -> MembershipCard:
    card = MembershipCard(
        organization_id=patient.organization_id,
        patient=patient,
        number=_draw_card_number(),
        tier=tier,
        status="active",
        issued_on=timezone.localdate(),
        replaces=replaces,
        note=note,
    )
    try:
        with transaction.atomic():
            card.save()
    except IntegrityError:
        raise Refused(_("This patient already has an active card.")) from None
    return card


@transaction.atomic
def do_issue_card(user: User, patient: Patient, tier: str = "standard", note: str = "") -> MembershipCard:
    _lock_patient(patient)
    current = _card_in_force(patient)
    if current is not None:
        raise Refused(
            _("This patient already has card %(number)s (%(status)s). Freeze it or report it lost instead.")
            % {"number": current.number, "status": current.get_status_display()}
        )
    card = _new_card(patient, tier, note, replaces=None)
    audit.record(
        "card.issue",
        organization_id=patient.organization_id,
        obj=card,
        patient_id=patient.pk,
        detail={"number": card.number, "tier": card.tier},
        actor=user,
    )
    return card


def _change_status(user: User, card: MembershipCard, change: str, reason: str) -> MembershipCard:
    _lock_patient(card.patient)
    card = MembershipCard.objects.select_for_update().get(pk=card.pk)
    try:
        new_status = cardstates.next_status(change, card.status)
    except cardstates.TransitionError:
        raise Refused(
            _("Card %(number)s is %(status)s; that change is not possible.")
            % {"number": card.number, "status": card.get_status_display()}
        ) from None
    if (
        new_status == "active"
        and MembershipCard.objects.filter(patient_id=card.patient_id, status="active").exists()
    ):
        raise Refused(_("This patient already has an active card."))
    old_status = card.status
    card.status = new_status
    card.status_changed_at = timezone.now()
    card.save(update_fields=["status", "status_changed_at"])
    audit.record(
        f"card.{change}",
        organization_id=card.organization_id,
        obj=card,
        patient_id=card.patient_id,
        detail={"number": card.number, "status": [old_status, new_status], "reason": reason},
        actor=user,
    )
    return card


@transaction.atomic
def do_freeze_card(user: User, card: MembershipCard, reason: str = "") -> MembershipCard:
    return _change_status(user, card, "freeze", reason)


@transaction.atomic
def do_unfreeze_card(user: User, card: MembershipCard, reason: str = "") -> MembershipCard:
    return _change_status(user, card, "unfreeze", reason)


@transaction.atomic
def do_report_lost_and_replace(
    user: User, card: MembershipCard, tier: str | None = None, reason: str = ""
) -> MembershipCard:
    """The old card becomes lost for good; a new number is issued that points back at it."""
    lost = _change_status(user, card, "report_lost", reason)
    new = _new_card(lost.patient, tier or lost.tier, reason, replaces=lost)
    audit.record(
        "card.replace",
        organization_id=new.organization_id,
        obj=new,
        patient_id=new.patient_id,
        detail={"number": new.number, "replaces": lost.number, "tier": [lost.tier, new.tier]},
        actor=user,
    )
    return new


# --- family --------------------------------------------------------------------------------------

FAMILY_FIELDS = [
    "related_patient_id",
    "related_name",
    "related_mobile",
    "relationship",
    "is_guardian",
    "can_act_for",
]
CHANGEABLE = {
    "related_patient",
    "related_name",
    "related_mobile",
    "relationship",
    "is_guardian",
    "can_act_for",
}


def _check_family_link(link: FamilyLink, patient: Patient) -> None:
    related = link.related_patient
    if related is not None:
        if related.organization_id != patient.organization_id:
            raise Refused(_("Choose a patient of this organization."), "related_patient")
        if related.pk == patient.pk:
            raise Refused(_("A patient cannot be their own family member."), "related_patient")
        # The linked record is the source of the name and number; a copy would go stale.
        link.related_name = related.name
        link.related_mobile = ""
        duplicate = FamilyLink.objects.filter(patient=patient, related_patient=related).exclude(pk=link.pk)
        if duplicate.exists():
            raise Refused(
                _("%(name)s is already in this patient's family list.") % {"name": related.name},
                "related_patient",
            )
    else:
        link.related_name = link.related_name.strip()
        if not link.related_name:
            raise Refused(_("Enter the family member's name, or choose an existing patient."), "related_name")
        if link.related_mobile and not isinstance(link.related_mobile, Undecryptable):  # kept as stored
            try:
                link.related_mobile = parse_mobile(link.related_mobile)
            except IdentifierError as error:
                raise Refused(identifier_message(error), "related_mobile") from None


def _family_detail(link: FamilyLink) -> dict[str, Any]:
    return {
        "relationship": link.relationship,
        "related_patient": link.related_patient_id,
        "is_guardian": link.is_guardian,
        "can_act_for": link.can_act_for,
    }


@transaction.atomic
def do_add_family_link(user: User, patient: Patient, link: FamilyLink) -> FamilyLink:
    link.patient = patient
    _check_family_link(link, patient)
    link.save()
    audit.record(
        "family.add",
        organization_id=patient.organization_id,
        obj=link,
        patient_id=patient.pk,
        detail=_family_detail(link),
        actor=user,
    )
    return link


@transaction.atomic
def do_update_family_link(user: User, link: FamilyLink, **changes: Any) -> FamilyLink:
    """Change some fields of a link (e.g. can_act_for=True); the audit entry lists old and new values."""
    unknown = set(changes) - CHANGEABLE
    if unknown:
        raise ValueError(f"not a family link field: {sorted(unknown)}")
    before = snapshot(link, FAMILY_FIELDS)
    for name, value in changes.items():
        setattr(link, name, value)
    _check_family_link(link, link.patient)
    link.save()
    audit.record(
        "family.update",
        organization_id=link.patient.organization_id,
        obj=link,
        patient_id=link.patient_id,
        detail={"changes": changed_fields(before, link)},
        actor=user,
    )
    return link


@transaction.atomic
def do_remove_family_link(user: User, link: FamilyLink) -> None:
    audit.record(
        "family.remove",
        organization_id=link.patient.organization_id,
        obj=link,
        patient_id=link.patient_id,
        detail=_family_detail(link),
        actor=user,
    )
    link.delete()


# --- consent -------------------------------------------------------------------------------------


def _giver_message(problem: str, age: int) -> str:
    if problem == "guardian_required":
        return _(
            "The patient is %(age)s years old. Under 14, consent must be given by a parent or other "
            "guardian (PIPL Art. 31): choose “A guardian” and enter the guardian's name and relationship."
        ) % {"age": age}
    if problem == "guardian_name":
        return _("Enter the name of the guardian who gives consent.")
    return _("Choose how the guardian is related to the patient.")


GIVER_FIELDS = {"guardian_required": "given_by", "guardian_name": "guardian_name",
                "guardian_relationship": "guardian_relationship"}  # fmt: skip


def giver_refusals(patient: Patient, event: ConsentEvent) -> list[Refused]:
    """Why this event may not be recorded: one `Refused` per problem, naming its field. Empty when it may."""
    age = patient.age()
    problems = guardianship.giver_problems(
        age, event.granted, event.given_by, event.guardian_name, event.guardian_relationship
    )
    return [Refused(_giver_message(problem, age), GIVER_FIELDS[problem]) for problem in problems]


@transaction.atomic
def do_record_consent(user: User, patient: Patient, event: ConsentEvent) -> ConsentEvent:
    """Append a grant or withdrawal to the ledger. It takes effect now; earlier events are never changed."""
    if event.given_by != "guardian":
        event.guardian_name = ""
        event.guardian_relationship = ""
    refusals = giver_refusals(patient, event)
    if refusals:
        raise refusals[0]
    event.patient = patient
    event.at = timezone.now()
    event.recorded_by = user
    event.save()
    audit.record(
        "consent.grant" if event.granted else "consent.withdraw",
        organization_id=patient.organization_id,
        obj=event,
        patient_id=patient.pk,
        detail={"purpose": event.purpose, "given_by": event.given_by, "method": event.method},
        actor=user,
    )
    return event


def record_card_print(user: User, card: MembershipCard) -> None:
    audit.record(
        "card.print",
        organization_id=card.organization_id,
        obj=card,
        patient_id=card.patient_id,
        detail={"number": card.number},
        actor=user,
    )
