from django.tasks import task

from careloop.observations.actions import do_import, stored_path
from careloop.observations.importing.inputs import FileInput
from careloop.observations.models import ImportBatch


@task()
def run_import_file(batch_id: int, source_system: str, mapping: dict[str, str]) -> dict[str, str | int]:
    """Import an uploaded file; the batch row shows progress while it runs and the outcome after."""
    batch = ImportBatch.objects.select_related("organization", "started_by").get(pk=batch_id)
    path = stored_path(batch)

    def progress(current: ImportBatch) -> None:
        ImportBatch.objects.filter(pk=current.pk).update(received=current.received)

    try:
        with path.open("rb") as handle:
            data = handle.read()
        source = FileInput(data, batch.filename, "upload", source_system, mapping)
        outcome = do_import(
            batch.started_by, batch.organization, source, batch.mode, batch=batch, progress=progress
        )
    except Exception:
        ImportBatch.objects.filter(pk=batch_id).update(status="failed")
        raise
    finally:
        path.unlink(missing_ok=True)  # the file holds identifiers; the database keeps what was imported
    return {
        "status": outcome.batch.status,
        "created": outcome.batch.created,
        "refused": outcome.batch.refused,
    }
