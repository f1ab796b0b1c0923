"""The facts read live from their own tables, each defined once for the compiler and the snapshots.

Each function gives the rows that make a fact true, for every patient; the compiler correlates them with
`OuterRef("pk")` inside EXISTS, the snapshots filter them by a set of patients. Days are counted in local
calendar days from `today`.

Not on main yet, and so answered as unknown or zero until their tables land (one function each here and
one case in `compile.FIELDS` / `compile.CALLS` and `snapshots`): `days_since_contact` (follow-up contacts),
`open_alerts()` (alerts), `deceased` and `moved` (no column on Patient).
"""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from careloop.patients.models import Condition, ConsentEvent, Encounter, Medication, PatientTag
from careloop.questionnaires.facts import newest_scores
from careloop.questionnaires.models import QuestionnaireScore

# FHIR's clinical statuses of a condition the patient has now (recurrence and relapse are active again).
ACTIVE_CONDITION = ("active", "recurrence")
# A sex recorded as unknown is a missing fact; "other" is a known answer that is neither value.
UNKNOWN_SEX = ("unknown", "")


def local_midnight(day: datetime.date) -> datetime.datetime:
    """The instant a local calendar day starts: `observed_at >= local_midnight(d)` is a plain comparison."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def active_conditions() -> QuerySet[Condition]:
    return Condition.objects.filter(clinical_status__in=ACTIVE_CONDITION)


def tags() -> QuerySet[PatientTag]:
    return PatientTag.objects.all()


def current_medications(today: datetime.date) -> QuerySet[Medication]:
    """Started (or no start recorded) and not yet stopped: a stop date is the last day taken."""
    return Medication.objects.filter(
        Q(start_date__isnull=True) | Q(start_date__lte=today),
        Q(stop_date__isnull=True) | Q(stop_date__gte=today),
    )


def latest_consents() -> QuerySet[ConsentEvent]:
    """Each patient's newest consent event per purpose (the ledger's rule: the newest event wins)."""
    newer = ConsentEvent.objects.filter(
        patient_id=OuterRef("patient_id"), purpose=OuterRef("purpose")
    ).filter(Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), pk__gt=OuterRef("pk")))
    return ConsentEvent.objects.exclude(Exists(newer))


def latest_scores() -> QuerySet[QuestionnaireScore]:
    """Each patient's newest total per score code, in every organization (the compiler correlates them with
    each patient row)."""
    return newest_scores()


def discharges(today: datetime.date) -> QuerySet[Encounter]:
    """Stays that ended by the end of today (a discharge in the future is a planned one, not yet true)."""
    return Encounter.objects.filter(
        discharged_at__isnull=False, discharged_at__lt=local_midnight(today + datetime.timedelta(days=1))
    )
