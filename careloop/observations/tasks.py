from django.conf import settings
from django.tasks import task

from careloop.observations.actions import stored_path
from careloop.observations.importing.pipeline import run_import
from careloop.observations.models import ImportBatch
from careloop.observations.sources import formats


@task()
def run_import_file(batch_id: int, source_system: str, mapping: dict[str, str]) -> dict[str, str | int]:
    """Import an uploaded file; the batch row shows progress while it runs and the outcome after."""
    batch = ImportBatch.objects.get(pk=batch_id)
    path = stored_path(batch)

    def progress(current: ImportBatch) -> None:
        ImportBatch.objects.filter(pk=current.pk).update(received=current.received)

    try:
        with path.open("rb") as handle:
            data = handle.read()
        chunks = formats.read_chunks(
            data,
            batch.filename,
            source_system,
            mapping,
            organization_id=batch.organization_id,
            limits=settings.IMPORT_LIMITS,
        )
        batch, _problems = run_import(batch, chunks, progress=progress)
    except Exception:
        ImportBatch.objects.filter(pk=batch_id).update(status="failed")
        raise
    finally:
        path.unlink(missing_ok=True)  # the file holds identifiers; the database keeps what was imported
    return {"status": batch.status, "created": batch.created, "refused": batch.refused}
