"""The facts refresh an import asks for, run by the worker: an import of a million results must not wait
for the trend detection of every patient it touched (about 2,000 patients a second). The tag rules run
after it over the same patients, so that a result that crosses a threshold tags its patient."""

from django.tasks import task

from careloop.autotags.apply import apply_tag_rules
from careloop.facts.refresh import imported_patients, refresh_facts
from careloop.observations.models import ImportBatch


@task()
def refresh_facts_after_import(batch_id: int) -> dict[str, int]:
    batch = ImportBatch.objects.get(pk=batch_id)
    patients = imported_patients(batch)
    refreshed = refresh_facts(batch.organization_id, patients)
    tagged = apply_tag_rules(batch.organization_id, patients) if patients else {}
    return {
        "patients": refreshed.patients,
        "indicators": refreshed.indicators,
        "measures": refreshed.measures,
        "tags_added": sum(done.added for done in tagged.values()),
        "tags_removed": sum(done.removed for done in tagged.values()),
    }
