"""Problems stored before the redaction knew every shape (+86 138 1234 5678, 8613812345678,
110101 19800101 1234) masked now, in batches by primary key."""

from django.db import migrations

from careloop.redaction import redact

BATCH = 2000


def redact_stored_problems(apps, schema_editor):
    ImportProblem = apps.get_model("observations", "ImportProblem")
    last = 0
    while True:
        batch = list(
            ImportProblem.objects.filter(pk__gt=last)
            .order_by("pk")
            .only("pk", "field", "value", "reason", "reason_params")[:BATCH]
        )
        if not batch:
            return
        last = batch[-1].pk
        changed = []
        for problem in batch:
            params = {
                name: redact(value) if isinstance(value, str) else value
                for name, value in (problem.reason_params or {}).items()
            }
            masked = (redact(problem.field), redact(problem.value), redact(problem.reason), params)
            if masked != (problem.field, problem.value, problem.reason, problem.reason_params):
                problem.field, problem.value, problem.reason, problem.reason_params = masked
                changed.append(problem)
        ImportProblem.objects.bulk_update(changed, ["field", "value", "reason", "reason_params"])


class Migration(migrations.Migration):
    dependencies = [("observations", "0007_import_problems_not_stored")]

    operations = [migrations.RunPython(redact_stored_problems, migrations.RunPython.noop)]
