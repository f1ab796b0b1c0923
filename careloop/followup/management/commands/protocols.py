"""`careloop protocols install --organization CODE`: install the shipped follow-up protocols for an
organization, or bring them up to date (a protocol in use gets a new version, never an edit)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from careloop.accounts.audit import AuditContext, reset_context, set_context
from careloop.accounts.models import Organization
from careloop.autotags.actions import do_install_default_tag_rules
from careloop.followup.actions import do_install_shipped


class Command(BaseCommand):
    help = "Install the shipped follow-up protocols for an organization (again: only what changed)."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        install = commands.add_parser("install", help="Install or update the shipped protocols.")
        install.add_argument("--organization", required=True, help="The organization's code.")

    def handle(self, *args: Any, **options: Any) -> None:
        organization = Organization.objects.filter(code=options["organization"]).first()
        if organization is None:
            raise CommandError(_("no organization with code %(code)r") % {"code": options["organization"]})
        token = set_context(AuditContext(actor_label="command:protocols"))
        try:
            protocols = do_install_shipped(organization)
            # The shipped auto-tags come with the shipped protocols: their triggers read those tags.
            tag_rules = do_install_default_tag_rules(organization)
        finally:
            reset_context(token)
        for protocol in protocols:
            self.stdout.write(f"{protocol.key} v{protocol.version} ({protocol.status}): {protocol.name_zh}")
        self.stdout.write(
            _("%(count)d shipped tag rules installed (careloop tags apply tags the patients)")
            % {"count": len(tag_rules)}
        )
