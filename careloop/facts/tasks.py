"""The facts refresh an import asks for, run by the worker: an import of a million results must not wait
for the trend detection of every patient it touched (about 2,000 patients a second).

The same run enrols the patients whose follow-up trigger the import fired (a discharge sent as an HL7
A03, an abnormal result): within seconds of the import, not at the next morning's sweep."""

from django.tasks import task

from careloop.facts.refresh import refresh_after_import
from careloop.followup.triggers import enrol_triggered
from careloop.observations.models import ImportBatch


@task()
def refresh_facts_after_import(batch_id: int) -> dict[str, int]:
    batch = ImportBatch.objects.get(pk=batch_id)
    refreshed = refresh_after_import(batch)
    # After the refresh: an abnormal-result trigger reads the latest results it has just written. The
    # whole organization's recent events, not only the batch's patients: an encounter does not name the
    # batch that brought it, and each trigger's query reads only its window of recent events.
    triggered = enrol_triggered(batch.organization_id)
    return {
        "patients": refreshed.patients,
        "indicators": refreshed.indicators,
        "measures": refreshed.measures,
        "enrolled": triggered.enrolled,
    }
