"""The facts read live from their own tables, each defined once for the compiler and the snapshots.

Each function gives the rows that make a fact true, for every patient; the compiler correlates them with
`OuterRef("pk")` inside EXISTS, the snapshots filter them by a set of patients. Days are counted in local
calendar days from `today`.

Two facts are one grouped row per patient, the aggregate a column that a filter tests (in HAVING):
`days_since_contact` is read from the newest successful contact (`last_contacts`: a patient never reached
has no row, and the fact is missing), `open_alerts()` from the count of unresolved alerts (`alert_counts`:
no row is a count of 0). `deceased` and `moved` are columns of the patient row (`deceased_on`,
`moved_away_on`), always known: a date recorded is true.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from careloop.alerts.models import UNRESOLVED, Alert
from careloop.followup.contact_models import ContactRecord
from careloop.followup.outcomes import REACHED
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


def last_contacts() -> QuerySet[Any]:
    """Each reached patient's newest successful contact time, as `last_at` (one row per patient). An outcome
    in REACHED is someone answering, a refusal or a relative's news included: the patient was found."""
    reached = ContactRecord.objects.filter(outcome__in=REACHED).order_by()
    return reached.values("patient_id").annotate(last_at=Max("occurred_at"))


def alert_counts() -> QuerySet[Any]:
    """Each patient's number of open or acknowledged alerts, as `unresolved` (no row: none)."""
    unresolved = Alert.objects.filter(status__in=UNRESOLVED, patient__isnull=False).order_by()
    return unresolved.values("patient_id").annotate(unresolved=Count("pk"))
