"""`careloop audit verify | seal | keygen | public-key`: check the chains, seal now, make or show keys."""

import base64
import datetime
import secrets
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from django.core.management.base import BaseCommand, CommandError, CommandParser

from careloop.accounts import auditcheckpoint, auditkeys, auditverify
from careloop.accounts.auditseal import Sealer
from careloop.accounts.auditverify import ChainReport, Verification
from careloop.accounts.models import Organization


class Command(BaseCommand):
    help = (
        "Work with the audit trail. `verify` checks each organization's chain against the keys and the "
        "signed checkpoints and reports the first break; `seal` seals what is waiting and writes a "
        "checkpoint; `keygen` prints new keys, `public-key` the signing key's public key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(
            dest="subcommand", required=True, metavar="{verify,seal,keygen,public-key}"
        )
        verify = subcommands.add_parser(
            "verify",
            help="Check every chain (or one organization's) and exit with status 1 if any is broken.",
        )
        verify.add_argument("--organization", metavar="CODE", help="Check only this organization's chain.")
        verify.add_argument(
            "--checkpoints",
            metavar="PATH",
            action="append",
            type=Path,
            help="A checkpoint file or directory (a syslog collector's file, say); may be given more than "
            "once. Default: CARELOOP_AUDIT_CHECKPOINT_DIR.",
        )
        verify.add_argument(
            "--grace-minutes",
            type=int,
            help="How long an entry may wait for its seal (default CARELOOP_AUDIT_SEAL_GRACE_MINUTES).",
        )
        subcommands.add_parser(
            "seal", help="Seal every entry waiting for its seal and write a checkpoint now."
        )
        subcommands.add_parser("keygen", help="Print a new sealing key and a new checkpoint signing key.")
        subcommands.add_parser(
            "public-key",
            help="Print the public key of the configured signing key (to keep when rotating it).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            self.verify(options.get("organization"), options.get("checkpoints"), options.get("grace_minutes"))
        elif options["subcommand"] == "seal":
            result = Sealer().run_once(full_sweep=True, force_checkpoint=True)
            self.stdout.write(f"sealed {result.sealed} entries; checkpoint: {result.checkpoint or 'none'}")
        elif options["subcommand"] == "public-key":
            public = auditkeys.signing_key().public_key()
            self.stdout.write(
                f"# {auditcheckpoint.key_id(public)}\n"
                f"CARELOOP_AUDIT_CHECKPOINT_PUBLIC_KEYS={auditcheckpoint.public_key_text(public)}"
            )
        else:
            self.keygen()

    def keygen(self) -> None:
        private = Ed25519PrivateKey.generate()
        raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        public = private.public_key()
        self.stdout.write(
            f"CARELOOP_AUDIT_KEYS=k{datetime.date.today():%Y%m%d}:{secrets.token_urlsafe(32)}\n"
            f"CARELOOP_AUDIT_SIGNING_KEY={base64.b64encode(raw).decode()}\n"
            f"# its public key ({auditcheckpoint.key_id(public)}), for a machine that only verifies:\n"
            f"# CARELOOP_AUDIT_CHECKPOINT_PUBLIC_KEYS={auditcheckpoint.public_key_text(public)}"
        )

    def verify(self, code: str | None, paths: list[Path] | None, grace: int | None) -> None:
        chains = None
        if code:
            organization = Organization.objects.filter(code=code).first()
            if organization is None:
                raise CommandError(f"No organization has the code {code!r}.")
            chains = [organization.pk]
        verification = auditverify.verify(chains, paths, grace)
        self.describe_checkpoints(verification)
        names = dict(Organization.objects.values_list("pk", "code"))
        broken: list[str] = []
        for report in verification.reports:
            name = names.get(report.chain, "installation" if report.chain == 0 else "no organization")
            line = f"chain {report.chain} ({name}): {self.describe(report)}"
            self.stdout.write(line)
            if not report.ok:
                broken.append(line)
        if not verification.reports:
            self.stdout.write("no audit entries yet")
        problems = verification.checkpoints.problems
        if broken or problems:
            raise CommandError(
                f"{len(broken)} of {len(verification.reports)} audit chain(s) broken"
                + (f", {len(problems)} checkpoint(s) refused" if problems else "")
                + "; "
                + "; ".join(broken + [problem.text for problem in problems])
            )

    def describe_checkpoints(self, verification: Verification) -> None:
        found = verification.checkpoints
        if not found.sources:
            self.stdout.write(
                "checkpoints: none configured; removed newest entries and removed chains go unseen"
            )
            return
        newest = found.newest
        where = ", ".join(found.sources)
        if newest is None:
            self.stdout.write(
                f"checkpoints: none found in {where}; removed newest entries and removed chains go unseen"
            )
        else:
            self.stdout.write(
                f"checkpoints: {len(found.checkpoints)} read from {where}, the newest of {newest.at}"
            )
        for problem in found.problems:
            self.stdout.write(f"checkpoint REFUSED: {problem.text}")

    def describe(self, report: ChainReport) -> str:
        if report.broken is not None:
            found = report.broken
            if found.seq is not None:
                where = f" at sequence {found.seq} (entry id {found.entry_id})"
            else:
                where = " at head" if found.entry_id is None else ""
            return f"BROKEN{where}: {found.reason}"
        text = f"ok {report.entries} entries"
        if report.unsealed.count:
            text += f" ({report.unsealed.count} waiting for their seal)"
        if report.checkpoint is not None:
            text += f"; the checkpoint of {report.checkpoint.at} covers the first {report.checkpoint_seq}"
        return text
