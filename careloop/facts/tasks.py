"""The facts refresh an import asks for, run by the worker: an import of a million results must not wait
for the trend detection of every patient it touched (about 2,000 patients a second)."""

from django.tasks import task

from careloop.facts.refresh import refresh_after_import
from careloop.observations.models import ImportBatch


@task()
def refresh_facts_after_import(batch_id: int) -> dict[str, int]:
    batch = ImportBatch.objects.get(pk=batch_id)
    refreshed = refresh_after_import(batch)
    return {
        "patients": refreshed.patients,
        "indicators": refreshed.indicators,
        "measures": refreshed.measures,
    }
