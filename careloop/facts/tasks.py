"""The facts refresh an import asks for, run by the worker: an import of a million results must not wait
for the trend detection of every patient it touched (about 2,000 patients a second). The tag rules run
after it over the same patients, so that a result that crosses a threshold tags its patient.

The same run then enrols the patients whose follow-up trigger the import fired (a discharge sent as an
HL7 A03, an abnormal result, a tag just added): within seconds of the import, not at the next morning's
sweep."""

from django.tasks import task

from careloop.autotags.apply import apply_tag_rules
from careloop.facts.refresh import imported_patients, refresh_facts
from careloop.followup.triggers import enrol_triggered
from careloop.observations.models import ImportBatch


@task()
def refresh_facts_after_import(batch_id: int) -> dict[str, int]:
    batch = ImportBatch.objects.get(pk=batch_id)
    patients = imported_patients(batch)
    refreshed = refresh_facts(batch.organization_id, patients)
    tagged = apply_tag_rules(batch.organization_id, patients) if patients else {}
    # After the refresh and the tags: an abnormal-result or tag trigger reads what they have just written.
    # The whole organization's recent events, not only the batch's patients: an encounter does not name
    # the batch that brought it, and each trigger's query reads only its window of recent events.
    triggered = enrol_triggered(batch.organization_id)
    return {
        "patients": refreshed.patients,
        "indicators": refreshed.indicators,
        "measures": refreshed.measures,
        "tags_added": sum(done.added for done in tagged.values()),
        "tags_removed": sum(done.removed for done in tagged.values()),
        "enrolled": triggered.enrolled,
    }
