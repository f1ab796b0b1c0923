"""`careloop audit verify`: re-hash every audit chain and say where one breaks."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from careloop.accounts import audit
from careloop.accounts.models import AuditEntry, Organization


class Command(BaseCommand):
    help = (
        "Work with the audit trail. `verify` re-hashes each organization's chain and reports the first break."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="{verify}")
        verify = subcommands.add_parser(
            "verify",
            help="Check every chain (or one organization's) and exit with status 1 if any is broken.",
        )
        verify.add_argument("--organization", metavar="CODE", help="Check only this organization's chain.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            self.verify(options.get("organization"))

    def verify(self, code: str | None) -> None:
        if code:
            organization = Organization.objects.filter(code=code).first()
            if organization is None:
                raise CommandError(f"No organization has the code {code!r}.")
            chains = [organization.pk]
        else:
            chains = audit.all_chains()
        names = dict(Organization.objects.filter(pk__in=chains).values_list("pk", "code"))
        counts = dict(
            AuditEntry.objects.filter(chain__in=chains)
            .values_list("chain")
            .annotate(n=Count("id"))
            .values_list("chain", "n")
        )
        broken: list[str] = []
        for chain in chains:
            label = f"chain {chain} ({names.get(chain, 'installation' if chain == 0 else 'no organization')})"
            found = audit.verify_chain(chain)
            if found is None:
                self.stdout.write(f"{label}: ok {counts.get(chain, 0)} entries")
                continue
            where = "head" if found.seq is None else f"sequence {found.seq} (entry id {found.entry_id})"
            broken.append(f"{label}: BROKEN at {where}: {found.reason}")
            self.stdout.write(broken[-1])
        if not chains:
            self.stdout.write("no audit entries yet")
        if broken:
            raise CommandError(f"{len(broken)} of {len(chains)} audit chain(s) broken; " + "; ".join(broken))
