"""`careloop seed`: synthetic patients with their health records, for demos, trials and benchmarks."""

import datetime
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from careloop.accounts import audit
from careloop.patients import synthetic
from careloop.patients.seeding import Seeder, prepare_organization


class Command(BaseCommand):
    help = (
        "Add synthetic patients (names, identifiers, conditions, medicines, encounters, tags, cards) to an "
        "organization, which is made if missing. Refuses an organization that already has patients unless "
        "--append is given. The same --seed always gives the same patients."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--patients", type=int, default=1000, metavar="N", help="How many patients (1000)."
        )
        parser.add_argument("--years", type=int, default=5, metavar="Y", help="Years of encounters (5).")
        parser.add_argument("--seed", type=int, default=1, metavar="S", help="Random seed (1).")
        parser.add_argument(
            "--organization",
            default="demo",
            metavar="CODE",
            help="Organization code (demo); made if missing.",
        )
        parser.add_argument("--name", default="", help="Name of the organization when it is made (its code).")
        parser.add_argument(
            "--append",
            action="store_true",
            help="Add to an organization that already has patients; ID numbers it already has are skipped.",
        )
        parser.add_argument("--today", type=datetime.date.fromisoformat, help="End of the history (today).")
        parser.add_argument("--batch-size", type=int, default=2000, help="Patients per bulk insert (2000).")

    def handle(self, *args: Any, **options: Any) -> None:
        count, years = options["patients"], options["years"]
        if count < 1 or years < 1:
            raise CommandError(f"--patients and --years must be at least 1 (got {count} and {years}).")
        code = options["organization"]
        today = options["today"] or timezone.localdate()
        with transaction.atomic():
            organization, _ = prepare_organization(code, options["name"] or code)
            existing = organization.patients.count()
            if existing and not options["append"]:
                raise CommandError(
                    f"Organization {code!r} already has {existing} patients; nothing was written. "
                    "Add --append to add more."
                )
            rows = synthetic.generate(count, years, options["seed"], today, timezone.get_current_timezone())
            seeder = Seeder(organization, skip_existing=bool(existing))
            with tqdm(total=count, unit="patients", file=sys.stderr, disable=options["verbosity"] < 1) as bar:
                counts = seeder.write(rows, options["batch_size"], progress=bar.update)
            audit.record(
                "patients.seed",
                organization_id=organization.pk,
                obj=organization,
                detail={"patients": counts["patients"], "years": years, "seed": options["seed"]},
            )
        if options["verbosity"] < 1:
            return
        written = ", ".join(
            f"{n} {table}" for table, n in sorted(counts.items()) if table not in {"patients", "skipped"}
        )
        skipped = f" ({counts['skipped']} already there, skipped)" if counts["skipped"] else ""
        self.stdout.write(f"Seeded {counts['patients']} patients into {code!r}{skipped}: {written}.")
