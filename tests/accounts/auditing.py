"""The audit trail as tests drive it: seal now, verify as the command does, tamper as an attacker would."""

import io
from typing import Any

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from careloop.accounts.auditseal import Sealer
from careloop.accounts.models import AuditEntry, AuditSeal

ENTRIES = AuditEntry._meta.db_table
SEALS = AuditSeal._meta.db_table


def seal() -> int:
    """One full sealing pass and a checkpoint, as `careloop audit seal` makes them."""
    return Sealer().run_once(full_sweep=True, force_checkpoint=True).sealed


def verify(*args: str) -> str:
    """`careloop audit verify`'s output; CommandError (exit status 1) when a chain is broken."""
    out = io.StringIO()
    call_command("audit", "verify", *args, stdout=out)
    return out.getvalue()


def verify_failing(*args: str) -> tuple[str, str]:
    """(the output, the error) of a verification that must fail."""
    out = io.StringIO()
    try:
        call_command("audit", "verify", *args, stdout=out)
    except CommandError as error:
        return out.getvalue(), str(error)
    raise AssertionError("verification passed:\n" + out.getvalue())


def line_of(output: str, chain: int) -> str:
    return next(line for line in output.splitlines() if line.startswith(f"chain {chain} "))


def tamper(sql: str, params: list[Any] | None = None) -> None:
    """Raw SQL as a database owner would run it, past the append-only triggers (on PostgreSQL a superuser
    may switch triggers off for the session; the tests connect as one)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(sql, params or [])
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = DEFAULT")


def seals_of(chain: int) -> list[AuditSeal]:
    return list(AuditSeal.objects.filter(chain=chain).order_by("seq"))
