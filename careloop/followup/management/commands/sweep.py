"""`careloop sweep [--organization CODE] [--today YYYY-MM-DD]`: the daily follow-up sweep (sweep.py)."""

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from careloop.accounts.audit import AuditContext, reset_context, set_context
from careloop.accounts.models import Organization
from careloop.followup.sweep import BATCH_ENROLMENTS, run_sweep


class Command(BaseCommand):
    help = "Make the follow-up tasks falling due, mark superseded ones missed, apply stop rules."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organization", help="One organization's code (default: all).")
        parser.add_argument("--today", type=datetime.date.fromisoformat, help="The day to sweep for.")
        parser.add_argument(
            "--full",
            action="store_true",
            help="Look at every task up to the horizon, not only those due since the last run.",
        )
        parser.add_argument(
            "--batch", type=int, default=BATCH_ENROLMENTS, help="Enrolments per committed batch."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organization_id = None
        if options["organization"]:
            organization = Organization.objects.filter(code=options["organization"]).first()
            if organization is None:
                raise CommandError(
                    _("no organization with code %(code)r") % {"code": options["organization"]}
                )
            organization_id = organization.pk
        verbose = options["verbosity"] >= 2

        def progress(org_id: int, batch: int, made: int) -> None:
            # Written and flushed per committed batch: an operator (or a test) sees how far a run got.
            self.stdout.write(f"organization {org_id} batch {batch}: {made} tasks")
            self.stdout.flush()

        token = set_context(AuditContext(actor_label="command:sweep"))
        try:
            result = run_sweep(
                options["today"],
                organization_id,
                batch_enrolments=options["batch"],
                progress=progress if verbose else None,
                full=options["full"],
            )
        finally:
            reset_context(token)
        self.stdout.write(
            f"tasks made: {result.created}, missed: {result.missed}, enrolments ended: {result.ended}, "
            f"enrolled: {result.enrolled}, escalated: {result.escalated}"
        )
