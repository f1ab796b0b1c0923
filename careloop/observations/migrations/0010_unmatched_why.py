from django.db import migrations, models


def tell_why(apps, schema_editor):
    """Records parked before the reason was kept: the strongest identifier they carried found nobody."""
    waiting = apps.get_model("observations", "UnmatchedResult").objects.filter(why="")
    waiting.exclude(patient_id_number_index="").update(why="unknown_id_number")
    waiting.filter(why="").exclude(patient_mrn="").update(why="unknown_mrn")
    waiting.filter(why="").update(why="no_identifier")


class Migration(migrations.Migration):
    dependencies = [
        ("observations", "0009_import_origin"),
    ]

    operations = [
        migrations.AddField(
            model_name="unmatchedresult",
            name="why",
            field=models.CharField(
                blank=True,
                choices=[
                    ("no_identifier", "No ID number or MRN was sent"),
                    ("unknown_id_number", "No patient has this ID number"),
                    ("unknown_mrn", "No patient has this MRN"),
                    ("contradiction", "Name, sex or birth date differ from the patient with this ID number"),
                ],
                default="",
                max_length=20,
                verbose_name="why it waits",
            ),
        ),
        migrations.RunPython(tell_why, migrations.RunPython.noop),
    ]
