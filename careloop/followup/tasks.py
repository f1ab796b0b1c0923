"""The follow-up work an import asks the worker for once it has committed."""

from django.tasks import task

from careloop.followup.triggers import enrol_triggered
from careloop.observations.models import ImportBatch


@task()
def enrol_after_import(batch_id: int) -> dict[str, int]:
    """Run the triggers after an import that brought visits and no results (an ADT feed): a discharge
    enrols its patient within seconds, not at the next sweep. An import with results runs them in
    `refresh_facts_after_import`, after the facts the abnormal-result trigger reads."""
    batch = ImportBatch.objects.get(pk=batch_id)
    triggered = enrol_triggered(batch.organization_id)
    return {"enrolled": triggered.enrolled, "moved": triggered.moved, "tasks": triggered.tasks}
