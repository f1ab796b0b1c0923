"""`careloop tags apply [--organization CODE]`: apply the enabled tag rules now (the sweep does it daily);
`careloop tags install --organization CODE`: install the shipped tag rules and apply them."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from careloop.accounts.audit import AuditContext, reset_context, set_context
from careloop.accounts.models import Organization
from careloop.autotags.actions import do_install_default_tag_rules
from careloop.autotags.apply import Applied, apply_tag_rules


class Command(BaseCommand):
    help = "Apply the organizations' tag rules now, or install the shipped ones."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        apply = commands.add_parser(
            "apply", help="Apply the enabled tag rules (every organization by default)."
        )
        apply.add_argument("--organization", help="The organization's code.")
        install = commands.add_parser("install", help="Install the shipped tag rules, then apply them.")
        install.add_argument("--organization", required=True, help="The organization's code.")

    def handle(self, *args: Any, **options: Any) -> None:
        organizations = self.organizations(options["organization"])
        token = set_context(AuditContext(actor_label="command:tags"))
        try:
            for organization in organizations:
                if options["command"] == "install":
                    rules = do_install_default_tag_rules(organization)
                    self.stdout.write(
                        _("%(organization)s: %(count)d shipped tag rules installed")
                        % {"organization": organization.code, "count": len(rules)}
                    )
                self.apply(organization)
        finally:
            reset_context(token)

    def organizations(self, code: str | None) -> QuerySet[Organization]:
        found = Organization.objects.order_by("pk")
        if code is None:
            return found
        found = found.filter(code=code)
        if not found.exists():
            raise CommandError(_("no organization with code %(code)r") % {"code": code})
        return found

    def apply(self, organization: Organization) -> None:
        self.stdout.write(
            _("%(organization)s: applying the tag rules...") % {"organization": organization.code}
        )

        def progress(key: str, done: Applied) -> None:
            self.stdout.write(
                _("  %(rule)s: %(added)d tagged, %(removed)d untagged")
                % {"rule": key, "added": done.added, "removed": done.removed}
            )

        if not apply_tag_rules(organization.pk, progress=progress):
            self.stdout.write(_("  no rule is switched on"))
