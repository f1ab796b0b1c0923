from django.db import migrations, models

# The batches made before the origin was recorded are told by the name the import gave them.
_NAMED = {"MLLP": "mllp", "manual match": "match", "demo health checks": "demo"}


def record_origins(apps, schema_editor):
    batches = apps.get_model("observations", "ImportBatch").objects
    for name, origin in _NAMED.items():
        batches.filter(filename=name).update(origin=origin, filename="")
    batches.filter(origin="command", started_by__isnull=False).update(origin="upload")


def restore_names(apps, schema_editor):
    batches = apps.get_model("observations", "ImportBatch").objects
    for name, origin in _NAMED.items():
        batches.filter(origin=origin, filename="").update(filename=name)


class Migration(migrations.Migration):
    dependencies = [
        ("observations", "0008_redact_stored_problems"),
    ]

    operations = [
        migrations.AddField(
            model_name="importbatch",
            name="origin",
            field=models.CharField(
                choices=[
                    ("command", "Command line"),
                    ("upload", "Upload"),
                    ("mllp", "HL7 v2 listener"),
                    ("match", "Matched by hand"),
                    ("demo", "Demo data"),
                ],
                default="command",
                max_length=10,
                verbose_name="origin",
            ),
        ),
        migrations.RunPython(record_origins, restore_names),
    ]
