"""`careloop duplicates --organization CODE`: the organization's probable duplicate records, as on the
"probable duplicates" page (patients.duplicates.probable_pairs), strongest first."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from careloop.accounts import audit
from careloop.accounts.audit import AuditContext, reset_context, set_context
from careloop.accounts.models import Organization
from careloop.patients.duplicates import REASON_LABELS, probable_pairs
from careloop.patients.models import Patient


class Command(BaseCommand):
    help = "List the organization's probable duplicate patient records, strongest first."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organization", required=True, help="The organization's code.")
        parser.add_argument("--limit", type=int, default=100, help="Pairs to print at most (100; 0: all).")

    def handle(self, *args: Any, **options: Any) -> None:
        organization = Organization.objects.filter(code=options["organization"]).first()
        if organization is None:
            raise CommandError(_("no organization with code %(code)r") % {"code": options["organization"]})
        pairs = probable_pairs(organization.pk)
        shown = pairs[: options["limit"]] if options["limit"] > 0 else pairs
        ids = {pid for pair in shown for pid in (pair.first_id, pair.second_id)}
        patients = Patient.objects.filter(organization=organization).in_bulk(ids)
        for pair in shown:
            first, second = patients[pair.first_id], patients[pair.second_id]
            reasons = ", ".join(str(REASON_LABELS[reason]) for reason in pair.reasons)
            self.stdout.write(f"{_describe(first)}  <->  {_describe(second)}  {reasons}")
        # Names and birth dates of people are printed: a read like the page's, audited.
        token = set_context(AuditContext(actor_label="command:duplicates"))
        try:
            audit.record(
                "patient.list",
                organization_id=organization.pk,
                detail={"patients": sorted(ids), "search": "duplicates", "filters": []},
            )
        finally:
            reset_context(token)
        self.stdout.write(
            _("%(count)s probable duplicate pairs (%(shown)s shown).")
            % {"count": len(pairs), "shown": len(shown)}
        )


def _describe(patient: Patient) -> str:
    return f"#{patient.pk} {patient.name} {patient.get_sex_display()} {patient.birth_date:%Y-%m-%d}"
