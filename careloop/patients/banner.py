"""What must not be missed about a patient, gathered once for the banner on every patient page and the
task page: severe allergies, open alerts, follow-up plans with the next task due, the last contact and
its outcome, a death or a move away.

A fixed number of queries whatever the patient's history (one per kind of fact): the banner is on every
page a clinician opens, so it must not grow with the record.
A risk category belongs here too once the risk model exists; until then the banner shows none rather
than a placeholder.
"""

from dataclasses import dataclass, field

from careloop.accounts.models import User
from careloop.accounts.roles import Perm
from careloop.alerts.models import Alert
from careloop.alerts.presenting import Described, unresolved_alerts_described
from careloop.followup.contact_models import ContactRecord
from careloop.followup.models import Enrolment, Task
from careloop.patients.models import Allergy, MembershipCard, Patient, PatientTag

# Allergy.severity (choices.SEVERITIES): "severe" (重度) is never to be missed, "moderate" is shown beside.
SEVERE = "severe"
MODERATE = "moderate"
OPEN_ENROLMENT = ("active", "lost")


@dataclass(frozen=True)
class Plan:
    """An open enrolment with the first task it still owes (None when nothing is pending)."""

    enrolment: Enrolment
    next_task: Task | None

    @property
    def lost(self) -> bool:
        return self.enrolment.status == "lost"


@dataclass(frozen=True)
class Banner:
    patient: Patient
    severe_allergies: list[Allergy] = field(default_factory=list)
    moderate_allergies: list[Allergy] = field(default_factory=list)
    alerts: list[tuple[Alert, Described]] = field(default_factory=list)
    plans: list[Plan] = field(default_factory=list)
    last_contact: ContactRecord | None = None
    tags: list[PatientTag] = field(default_factory=list)
    active_card: MembershipCard | None = None

    @property
    def left_care(self) -> bool:
        """Dead or moved away: the plans and the phone number are no longer the way to reach them."""
        return bool(self.patient.deceased_on or self.patient.moved_away_on)


def banner_for(patient: Patient, user: User, language: str) -> Banner:
    """The banner's facts for `patient` as `user` may see them; the alerts only with ALERT_VIEW."""
    allergies = [a for a in patient.allergies.all() if a.severity in (SEVERE, MODERATE)]
    enrolments = list(
        Enrolment.objects.filter(
            organization_id=patient.organization_id, patient=patient, status__in=OPEN_ENROLMENT
        )
        .select_related("protocol")
        .order_by("status", "-started_at", "-id")
    )
    next_tasks: dict[int, Task] = {}
    if enrolments:
        pending = Task.objects.filter(
            organization_id=patient.organization_id, enrolment__in=enrolments, status="pending"
        ).order_by("due", "id")
        by_id = {enrolment.pk: enrolment for enrolment in enrolments}
        for task in pending.only("enrolment_id", "step", "number", "due", "channel", "rung"):
            # Its enrolment (with the protocol) is already here: the step's label reads it, no query.
            task.enrolment = by_id[task.enrolment_id]
            next_tasks.setdefault(task.enrolment_id, task)
    last_contact = (
        ContactRecord.objects.filter(organization_id=patient.organization_id, patient=patient)
        .select_related("recorded_by")
        .order_by("-occurred_at", "-id")
        .first()
    )
    cards = [card for card in patient.cards.all() if card.status == "active"]
    return Banner(
        patient=patient,
        severe_allergies=[a for a in allergies if a.severity == SEVERE],
        moderate_allergies=[a for a in allergies if a.severity == MODERATE],
        alerts=unresolved_alerts_described(patient, language) if user.can(Perm.ALERT_VIEW) else [],
        plans=[Plan(e, next_tasks.get(e.pk)) for e in enrolments],
        last_contact=last_contact,
        tags=list(patient.patient_tags.select_related("tag").order_by("tag__name")),
        active_card=cards[0] if cards else None,
    )


__all__ = ["Banner", "Plan", "banner_for"]
