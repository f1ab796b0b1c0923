"""Patients' facts as `careloop.rules.facts.Snapshot`s, so that `evaluate(rule, snapshot)` answers in Python.

Set-based: one query per kind of fact, whatever the number of patients (eleven in all). The meaning of each
fact is that of `careloop.facts.sources` and the stored facts, as the compiler reads them.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Model, QuerySet
from django.utils import timezone

from careloop.facts import sources
from careloop.facts.models import DerivedMeasure, LatestIndicator
from careloop.patients.models import Patient
from careloop.rules.facts import Discharge, Medication, Reading, Score, Snapshot
from careloop.rules.nodes import Value


def _days_ago(today: datetime.date, when: datetime.datetime) -> int:
    return (today - timezone.localdate(when)).days


def snapshot_for(
    patients: QuerySet[Patient] | Iterable[Patient], today: datetime.date | None = None
) -> dict[int, Snapshot]:
    """Each patient's facts today, by patient id.

    `patients` is a queryset already scoped to one organization (it is then used as a subquery, so any
    number of patients costs the same eleven queries) or patients already loaded.
    """
    today = today or timezone.localdate()
    chosen: Iterable[int]
    if isinstance(patients, QuerySet):
        chosen = patients.values_list("pk", flat=True)
        rows = list(
            Patient.objects.filter(pk__in=chosen).values_list(
                "pk", "birth_date", "sex", "deceased_on", "moved_away_on"
            )
        )
    else:
        loaded = list(patients)
        chosen = [patient.pk for patient in loaded]
        rows = [(p.pk, p.birth_date, p.sex, p.deceased_on, p.moved_away_on) for p in loaded]

    def of[M: Model](queryset: QuerySet[M]) -> QuerySet[M]:
        return queryset.filter(patient_id__in=chosen)

    conditions = defaultdict(set)
    for patient_id, code in of(sources.active_conditions()).values_list("patient_id", "icd10_code"):
        conditions[patient_id].add(code)
    tags = defaultdict(set)
    for patient_id, name in of(sources.tags()).values_list("patient_id", "tag__name"):
        tags[patient_id].add(name)
    medications = defaultdict(list)
    for patient_id, name in of(sources.current_medications(today)).values_list("patient_id", "name"):
        medications[patient_id].append(Medication(atc="", name=name))  # no ATC code recorded yet
    readings: dict[int, dict[str, Reading]] = defaultdict(dict)
    for patient_id, code, value, at, trend in of(LatestIndicator.objects.all()).values_list(
        "patient_id", "code", "value", "observed_at", "trend"
    ):
        readings[patient_id][code] = Reading(value, _days_ago(today, at), trend or None)
    scores: dict[int, dict[str, Score]] = defaultdict(dict)
    for patient_id, code, total, band in of(sources.latest_scores()).values_list(
        "patient_id", "code", "total", "band"
    ):
        scores[patient_id][code] = Score(total, band or None)
    bmi = dict(of(DerivedMeasure.objects.filter(bmi__isnull=False)).values_list("patient_id", "bmi"))
    consents = defaultdict(set)
    for patient_id, purpose in of(sources.latest_consents().filter(granted=True)).values_list(
        "patient_id", "purpose"
    ):
        consents[patient_id].add(purpose)
    discharges = defaultdict(list)
    for patient_id, left, department in of(sources.discharges(today)).values_list(
        "patient_id", "discharged_at", "department"
    ):
        assert left is not None  # sources.discharges: discharged
        discharges[patient_id].append(Discharge(_days_ago(today, left), department))
    contacted = {
        patient_id: _days_ago(today, last)
        for patient_id, last in of(sources.last_contacts()).values_list("patient_id", "last_at")
    }
    alerts = dict(of(sources.alert_counts()).values_list("patient_id", "unresolved"))

    found = {}
    for pk, birth_date, sex, deceased_on, moved_away_on in rows:
        fields: dict[str, Value] = {
            "age": Patient(birth_date=birth_date).age(today),
            "deceased": deceased_on is not None,
            "moved": moved_away_on is not None,
        }
        if sex not in sources.UNKNOWN_SEX:
            fields["sex"] = sex
        if pk in contacted:  # never reached: missing
            fields["days_since_contact"] = contacted[pk]
        found[pk] = Snapshot(
            fields=fields,
            conditions=frozenset(conditions[pk]),
            tags=frozenset(tags[pk]),
            medications=tuple(medications[pk]),
            readings=readings[pk],
            scores=scores[pk],
            bmi=bmi.get(pk),
            consents=frozenset(consents[pk]),
            discharges=tuple(discharges[pk]),
            open_alerts=alerts.get(pk, 0),
        )
    return found
