"""careloop mllp --port 2575 — receive HL7 v2 messages over MLLP and answer each with an ACK."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections, connections

from careloop.accounts.audit import AuditContext, reset_context, set_context
from careloop.accounts.models import Organization
from careloop.observations.hl7v2 import ack, mllp
from careloop.observations.models import ImportBatch
from careloop.observations.pipeline import run_import
from careloop.observations.records import ParseResult, Problem


class Command(BaseCommand):
    help = (
        "Listen for HL7 v2 (ORU^R01, ADT^A01/A03/A08) over MLLP; "
        "each message is imported and acknowledged (AA/AE/AR)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2575)
        parser.add_argument(
            "--organization", required=True, help="code of the organization the messages are for"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organization = Organization.objects.filter(code=options["organization"]).first()
        if organization is None:
            raise CommandError(f"no organization with code {options['organization']!r}")
        self.stdout.write(
            f"Listening for HL7 v2 over MLLP on {options['host']}:{options['port']} (Ctrl-C to stop)"
        )
        mllp.serve(options["host"], options["port"], lambda raw: receive(organization.pk, raw))


def store(organization_id: int, parsed: ParseResult) -> list[Problem]:
    """The pipeline for one message: a batch of its own, so each message's outcome is on the import page."""
    batch = ImportBatch.objects.create(organization_id=organization_id, kind="hl7v2", filename="MLLP")
    _batch, problems = run_import(batch, [parsed])
    return problems


def receive(organization_id: int, raw: bytes) -> bytes:
    close_old_connections()  # runs in the listener's worker threads: a fresh, healthy connection each time
    token = set_context(AuditContext(actor_label="mllp"))
    try:
        return ack.respond(raw, lambda parsed: store(organization_id, parsed))
    finally:
        reset_context(token)
        # Worker threads come and go with the pool; a connection left open would outlive its thread.
        connections.close_all()
