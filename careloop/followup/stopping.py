"""The protocols' stop rules, applied by the sweep set-based: one UPDATE of enrolments and one of their
pending tasks per (rule, protocol version), whatever the number of patients.

- consent_withdrawn: the patient's newest care consent event is a withdrawal.
- deceased, moved: Patient.deceased_on / moved_away_on is set.
- goal_met: the rule of careloop.rules holds today, compiled to one query (careloop.facts.compile).
- plan_ended: not a rule a protocol names; every enrolment ends so once its finite steps are all due
  before today and none of its tasks is still to do. A plan with a step recurring without end never does.

An ended enrolment's pending tasks are cancelled; done and missed ones stay as they were.
"""

import datetime
from collections import Counter
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from careloop.facts.compile import matching
from careloop.followup.models import Enrolment, Protocol, Task
from careloop.followup.trigger_rules import plan_over_through
from careloop.patients.models import ConsentEvent
from careloop.rules import parse

OPEN = ("active", "lost")
# Each patient field a stop rule reads, by the rule's kind (and the enrolment's ended_reason).
PATIENT_STOPS = {"deceased": "deceased_on", "moved": "moved_away_on"}


def withdrawn_patients(org_id: int) -> QuerySet[ConsentEvent, Any]:
    """The ids of the organization's patients whose newest care consent event is a withdrawal."""
    later_grant = ConsentEvent.objects.filter(
        patient=OuterRef("patient"), purpose="care", granted=True, at__gt=OuterRef("at")
    )
    return (
        ConsentEvent.objects.filter(patient__organization_id=org_id, purpose="care", granted=False)
        .filter(~Exists(later_grant))
        .values("patient_id")
    )


def apply_stop_rules(org_id: int, today: datetime.date) -> Counter[str]:
    """End the open enrolments a stop rule applies to; the number ended, by reason."""
    ended: Counter[str] = Counter()
    for protocol in Protocol.objects.filter(organization_id=org_id):
        definition = protocol.parsed
        open_enrolments = Enrolment.objects.filter(organization_id=org_id, protocol=protocol, status__in=OPEN)
        # Death first: an enrolment of a patient who died and had moved ends as "deceased".
        for kind in ("deceased", "moved"):
            if definition.stops_on(kind):
                field = f"patient__{PATIENT_STOPS[kind]}__isnull"
                ended[kind] += _end(open_enrolments.filter(**{field: False}), kind)
        if definition.stops_on("consent_withdrawn"):
            withdrawn = open_enrolments.filter(patient_id__in=withdrawn_patients(org_id))
            ended["consent_withdrawn"] += _end(withdrawn, "consent_withdrawn")
        for rule in definition.stop_rules:
            if rule.kind == "goal_met":
                met = matching(parse(rule.rule), org_id, today).values("pk")
                ended["goal_met"] += _end(open_enrolments.filter(patient_id__in=met), "goal_met")
    return +ended


def end_finished_plans(org_id: int, today: datetime.date) -> int:
    """End the open enrolments whose plan is over: run after the day's tasks are made, so that a plan
    whose last tasks were never made (written without them, swept late) makes them and is not ended."""
    ended = 0
    pending = Task.objects.filter(enrolment_id=OuterRef("pk"), status="pending")
    for protocol in Protocol.objects.filter(organization_id=org_id):
        over = plan_over_through(protocol.parsed, today)
        if over is not None:
            finished = Enrolment.objects.filter(
                organization_id=org_id, protocol=protocol, status__in=OPEN, anchor__lte=over
            ).exclude(Exists(pending))
            ended += _end(finished, "plan_ended")
    return ended


def _end(enrolments: QuerySet[Enrolment], reason: str) -> int:
    """End these enrolments and cancel their pending tasks, in one transaction."""
    with transaction.atomic():
        ids = list(enrolments.values_list("pk", flat=True))
        if not ids:
            return 0
        Enrolment.objects.filter(pk__in=ids, status__in=OPEN).update(
            status="ended", ended_reason=reason, ended_at=timezone.now()
        )
        Task.objects.filter(enrolment_id__in=ids, status="pending").update(status="cancelled")
    return len(ids)


def end_plans_on_withdrawal(patient_id: int) -> int:
    """A care consent withdrawn takes effect at once (membership.do_record_consent): the patient's open
    plans that stop on it end now, not at the next sweep, so the worklist never shows the patient again."""
    ended = 0
    open_enrolments = Enrolment.objects.filter(patient_id=patient_id, status__in=OPEN).select_related(
        "protocol"
    )
    for enrolment in open_enrolments:
        if enrolment.protocol.parsed.stops_on("consent_withdrawn"):
            ended += _end(Enrolment.objects.filter(pk=enrolment.pk), "consent_withdrawn")
    return ended
