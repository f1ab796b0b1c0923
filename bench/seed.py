"""Seeding speed on SQLite: patients per second at 10 k and 100 k, and against saving row by row.

    .venv/bin/python bench/seed.py [--sizes 10000,100000] [--anchor 1000]

Each size runs in a fresh process on a fresh SQLite file (migrated first; only the seed is timed) and
prints one JSON line: rates per size, record rows written, the ratio of the rates (1.0 = linear) and the
same rows written one ORM save() at a time (the anchor) for scale.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.db.models import Model

ROOT = Path(__file__).resolve().parent.parent
TODAY = datetime.date(2026, 11, 24)


def child(size: int, row_by_row: bool) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    # Imported before the clock starts: loading pypinyin's dictionaries is start-up, not seeding.
    from careloop.patients.management.commands import seed  # noqa: F401
    from careloop.patients.models import Encounter, Patient
    from careloop.patients.pinyin import initials

    initials("预热")

    started = time.perf_counter()
    if row_by_row:
        with transaction.atomic():
            save_row_by_row(size)
    else:
        call_command("seed", patients=size, years=5, seed=1, today=TODAY, verbosity=0)
    seconds = time.perf_counter() - started
    rows = sum(model._default_manager.count() for model in record_models()) - Patient.objects.count()
    return {"patients": Patient.objects.count(), "seconds": seconds, "record_rows": rows,
            "encounters": Encounter.objects.count()}  # fmt: skip


def record_models() -> "list[type[Model]]":
    from careloop.patients import models

    return [models.Patient, models.Condition, models.Medication, models.Allergy, models.FamilyHistory,
            models.Encounter, models.Lifestyle, models.PatientTag, models.MembershipCard]  # fmt: skip


def save_row_by_row(size: int) -> None:
    """The plain alternative: the same generated rows, each saved with Model.save()."""
    from django.utils import timezone

    from careloop.patients import models, synthetic
    from careloop.patients.identity import fill_derived_fields
    from careloop.patients.seeding import SECTION_MODELS, prepare_organization
    from careloop.patients.tag_actions import do_create_seeded_tags

    organization, _ = prepare_organization("anchor", "anchor")
    departments = {d.name: d for d in organization.departments.all()}
    tags: dict[str, models.Tag] = {}
    for row in synthetic.generate(size, 5, 1, TODAY, timezone.get_current_timezone()):
        fields = dict(row["patient"])
        patient = models.Patient(organization=organization, created_at=fields.pop("registered_at"), **fields)
        patient.department = departments[row["department"]]
        fill_derived_fields(patient)
        patient.save()
        for condition in row["conditions"]:
            models.Condition.objects.create(patient=patient, **condition)
        for section, model in SECTION_MODELS.items():
            for item in row[section]:
                model._default_manager.create(patient=patient, **item)
        models.Lifestyle.objects.create(patient=patient, **row["lifestyle"])
        for name, source in row["tags"]:
            if name not in tags:
                tag = models.Tag(organization=organization, name=name)
                tags[name] = (
                    models.Tag.objects.filter(organization=organization, name=name).first()
                    or (do_create_seeded_tags(organization.pk, [tag])[0])
                )
            models.PatientTag.objects.create(patient=patient, tag=tags[name], source=source)


def run(size: int, row_by_row: bool = False) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="careloop-bench-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CARELOOP_", "DJANGO_", "DATABASE_"))}
        env.update(
            DJANGO_SETTINGS_MODULE="careloop.settings",
            CARELOOP_DEBUG="true",
            CARELOOP_VAR_DIR=tmp,
            DATABASE_URL=f"sqlite:///{tmp}/bench.sqlite3",
            CARELOOP_LOG_LEVEL="WARNING",
        )
        argv = [sys.executable, __file__, "--child", str(size)] + (["--row-by-row"] if row_by_row else [])
        done = subprocess.run(argv, env=env, check=True, capture_output=True, text=True, cwd=ROOT)
        figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--anchor", type=int, default=1000, help="Patients saved row by row (0: skip).")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--row-by-row", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.row_by_row)))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {size: run(size) for size in sizes}
    rate = {size: r["patients"] / r["seconds"] for size, r in results.items()}
    line = {
        "benchmark": "seed",
        "database": "sqlite",
        "unit": "patients/s",
        "sizes": sizes,
        "patients_per_s": {str(s): round(rate[s]) for s in sizes},
        "seconds": {str(s): round(results[s]["seconds"], 2) for s in sizes},
        "record_rows_written": {str(s): results[s]["record_rows"] for s in sizes},
        "record_rows_per_s": {
            str(s): round(results[s]["record_rows"] / results[s]["seconds"]) for s in sizes
        },
        "rate_ratio_largest_to_smallest": round(rate[sizes[-1]] / rate[sizes[0]], 3),
    }
    if args.anchor:
        anchor = run(args.anchor, row_by_row=True)
        anchor_rate = anchor["patients"] / anchor["seconds"]
        line["anchor"] = {
            "method": "Model.save() per row",
            "patients": args.anchor,
            "patients_per_s": round(anchor_rate),
        }
        line["speedup_vs_row_by_row"] = round(rate[sizes[0]] / anchor_rate, 1)
    print(json.dumps(line))


if __name__ == "__main__":
    main()
