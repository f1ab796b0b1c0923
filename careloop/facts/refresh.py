"""Recompute the stored facts (`careloop.facts.models`) from the results, set-based and idempotent.

Patients are taken in chunks, each in one transaction: one query reads their results, the pure
`indicators` module reduces them, one query per table reads what is stored, and only the difference is
written (one DELETE and one INSERT per table). Running it twice writes nothing the second time; a refresh
killed half-way leaves every chunk either as it was or refreshed, and the next run finishes the job.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import batched, groupby
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from careloop.bulkinsert import RowInserter
from careloop.facts.indicators import Result, bmi_of, latest_by_indicator
from careloop.facts.models import DerivedMeasure, LatestIndicator
from careloop.observations import catalogue
from careloop.observations.models import ImportBatch, Observation
from careloop.observations.trends.tab import HIDDEN_STATUSES
from careloop.patients.models import Patient

CHUNK = 2000  # patients per transaction: a few tens of thousands of results in memory at most


@dataclass
class Refreshed:
    patients: int = 0
    indicators: int = 0  # LatestIndicator rows written (new or changed)
    measures: int = 0  # DerivedMeasure rows written


def refresh_facts(
    organization_id: int,
    patient_ids: Iterable[int] | None = None,
    progress: Callable[[Refreshed, int], None] | None = None,
) -> Refreshed:
    """Recompute the facts of the organization's patients (all of them, or those of `patient_ids`).

    `progress(done, total)` is called after each chunk.
    """
    patients = Patient.objects.filter(organization_id=organization_id)
    if patient_ids is not None:
        patients = patients.filter(pk__in=list(patient_ids))
    ids = list(patients.order_by("pk").values_list("pk", flat=True))
    done = Refreshed()
    for chunk in batched(ids, CHUNK):
        with transaction.atomic():
            _refresh_chunk(organization_id, chunk, done)
        if progress:
            progress(done, len(ids))
    return done


def imported_patients(batch: ImportBatch) -> list[int]:
    """The patients whose results the import created or corrected."""
    touched = (
        Observation.objects.filter(organization_id=batch.organization_id, batch=batch)
        .values_list("patient_id", flat=True)
        .distinct()
    )
    return list(touched)


def refresh_after_import(batch: ImportBatch) -> Refreshed:
    """The facts of the patients whose results the import created or corrected."""
    return refresh_facts(batch.organization_id, imported_patients(batch))


def _results(organization_id: int, chunk: tuple[int, ...]) -> Iterator[tuple[int, list[Result]]]:
    rows = (
        Observation.objects.filter(organization_id=organization_id, patient_id__in=chunk, value__isnull=False)
        .exclude(status__in=HIDDEN_STATUSES)
        .order_by("patient_id", "effective_at", "pk")
        .values_list("patient_id", "code", "effective_at", "value", "flag")
    )
    for patient_id, group in groupby(rows.iterator(chunk_size=5000), key=lambda row: row[0]):
        results = []
        for _, code, at, value, flag in group:
            assert value is not None  # filtered above
            results.append(Result(code, timezone.localtime(at), value, flag))
        yield patient_id, results


def _indicator_code(code: str) -> str:
    found = catalogue.by_code(code)
    return found.code if found else code


def _refresh_chunk(organization_id: int, chunk: tuple[int, ...], done: Refreshed) -> None:
    now = timezone.now()
    indicators: dict[tuple[int, str], tuple[float, datetime, str]] = {}
    measures: dict[int, tuple[float, datetime]] = {}
    for patient_id, results in _results(organization_id, chunk):
        latest = latest_by_indicator(results, _indicator_code)
        for found in latest.values():
            indicators[patient_id, found.code] = (found.value, found.when, found.trend or "")
        bmi = bmi_of(latest)
        if bmi is not None:
            measures[patient_id] = (bmi.value, bmi.when)
    scope = {"organization_id": organization_id, "patient_id__in": chunk}
    done.indicators += _write(
        LatestIndicator.objects.filter(**scope), ("patient_id", "code"), ("value", "observed_at", "trend"),
        indicators, organization_id, now,
    )  # fmt: skip
    done.measures += _write(
        DerivedMeasure.objects.filter(**scope), ("patient_id",), ("bmi", "bmi_at"),
        {(patient_id,): row for patient_id, row in measures.items()}, organization_id, now,
    )  # fmt: skip
    done.patients += len(chunk)


def _write(
    stored: QuerySet[LatestIndicator] | QuerySet[DerivedMeasure],
    key: tuple[str, ...],
    columns: tuple[str, ...],
    wanted: Mapping[tuple[Any, ...], tuple[Any, ...]],
    organization_id: int,
    now: datetime,
) -> int:
    """Make the `stored` rows those `wanted` (natural key -> values): one DELETE of the rows that changed or
    went, one INSERT of the rows that changed or came. Rows already right are not touched, so a second
    refresh writes nothing and `changed_at` says when a fact last changed. Returns the rows written."""
    found = {
        row[1 : 1 + len(key)]: (row[0], row[1 + len(key) :])
        for row in stored.values_list("pk", *key, *columns)
    }
    gone = [pk for at, (pk, row) in found.items() if wanted.get(at) != row]
    stored.model.objects.filter(pk__in=gone).delete()
    inserter = RowInserter(stored.model, ["organization_id", *key, *columns, "changed_at"])
    for at, row in wanted.items():
        if at not in found or found[at][1] != row:
            inserter.add((organization_id, *at, *row, now))
    return inserter.flush()
