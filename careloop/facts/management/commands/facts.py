"""careloop facts refresh --organization CODE — recompute the stored patient facts, with a progress bar."""

from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from careloop.accounts.models import Organization
from careloop.facts.refresh import Refreshed, refresh_facts


class Command(BaseCommand):
    help = "Recompute the patient facts (latest results, trends, BMI) of an organization. Safe to repeat."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["refresh"])
        parser.add_argument("--organization", required=True, help="code of the organization")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        organization = Organization.objects.filter(code=options["organization"]).first()
        if organization is None:
            raise CommandError(_("no organization with code %(code)r") % {"code": options["organization"]})
        # The wrapped stream itself: OutputWrapper.write would end each redraw with a newline.
        stream = cast(TextIO, self.stderr._out)
        with tqdm(unit=" patients", file=stream, disable=options["no_progress"]) as bar:

            def progress(done: Refreshed, total: int) -> None:
                bar.total = total
                bar.update(done.patients - bar.n)

            done = refresh_facts(organization.pk, progress=progress)
        self.stdout.write(
            _("%(patients)d patients: %(indicators)d latest results, %(measures)d BMI values")
            % {"patients": done.patients, "indicators": done.indicators, "measures": done.measures}
        )
