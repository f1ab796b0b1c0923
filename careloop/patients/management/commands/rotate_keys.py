"""`careloop rotate-keys`: re-encrypt identifiers stored under an old field key with the current one."""

import argparse
import sys
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser, DjangoHelpFormatter
from django.db import connection, models, transaction
from tqdm import tqdm

from careloop.accounts import audit
from careloop.encryption import EncryptedTextField, cipher

PROCEDURE = """
Re-encrypts every encrypted field value (ID numbers, mobile numbers, TOTP secrets, ...) that is not
under the current field key, the first one in CARELOOP_FIELD_KEYS. Values already under it are left alone,
so the command can be stopped and run again at any time.

To rotate the field key:
  1. Make a new key:
       python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"
  2. Put it FIRST in CARELOOP_FIELD_KEYS (new,old) and restart the web server and the worker.
     New values are now written with the new key; old values still decrypt with the old one.
  3. Run `careloop rotate-keys`. It exits with status 1 and names table and row of any value
     that no configured key decrypts; fix those before going on.
  4. When it reports 0 failures, remove the old key from CARELOOP_FIELD_KEYS and restart again.

Blind indexes (search by ID or mobile number) use CARELOOP_INDEX_KEY, which a rotation does not change.
"""


class _Formatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    pass


@dataclass
class ColumnResult:
    rotated: int = 0
    current: int = 0
    empty: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (row id, reason)


def encrypted_models() -> list[tuple[type[models.Model], list[EncryptedTextField]]]:
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if fields:
            found.append((model, fields))
    return sorted(found, key=lambda item: item[0]._meta.db_table)


def _column(field: models.Field[Any, Any]) -> str:
    # Django types a field's column as optional (None for fields without one); these are all concrete.
    assert field.column is not None
    return field.column


class Command(BaseCommand):
    help = PROCEDURE

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = _Formatter
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=500, help="Rows read and written per statement."
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not show the progress bar.")

    def handle(self, *args: Any, batch_size: int, no_progress: bool, **options: Any) -> None:
        if not 1 <= batch_size <= 5000:
            raise CommandError(
                "--batch-size must be between 1 and 5000 (the database's limit on parameters)."
            )
        targets = encrypted_models()
        total = sum(model._base_manager.count() for model, _fields in targets)
        results: dict[str, ColumnResult] = {}
        with tqdm(total=total, unit="row", file=sys.stderr, disable=no_progress or None) as progress:
            for model, fields in targets:
                for name, result in self.rotate_table(model, fields, batch_size, progress).items():
                    results[name] = result

        failures = []
        for name, result in results.items():
            self.stdout.write(
                f"{name}: {result.rotated} re-encrypted, {result.current} already current, "
                f"{result.empty} empty, {len(result.failed)} failed"
            )
            for row_id, reason in result.failed:
                failures.append(f"{name} row {row_id}")
                self.stderr.write(f"{name} row {row_id}: {reason}")
        self.record_run(results)
        if failures:
            raise CommandError(
                f"{len(failures)} value(s) could not be decrypted with any configured key: "
                + ", ".join(failures[:20])
                + (" ..." if len(failures) > 20 else "")
            )
        self.stdout.write(f"Done: {sum(r.rotated for r in results.values())} value(s) re-encrypted.")

    def rotate_table(
        self,
        model: type[models.Model],
        fields: list[EncryptedTextField],
        batch_size: int,
        progress: "tqdm[Any]",
    ) -> dict[str, ColumnResult]:
        """Walk the table in primary-key order reading the stored ciphertext, not the decrypted value."""
        quote = connection.ops.quote_name
        table, pk = model._meta.db_table, _column(model._meta.pk)
        names = [_column(f) for f in fields]
        columns = ", ".join(quote(name) for name in names)
        results = {f"{table}.{name}": ColumnResult() for name in names}
        last = None
        while True:
            params: list[Any] = [] if last is None else [last]
            where = "" if last is None else f"WHERE {quote(pk)} > %s"
            # Table and column names come from model metadata and are quoted; values are parameters.
            sql = f"SELECT {quote(pk)}, {columns} FROM {quote(table)} {where} ORDER BY {quote(pk)} LIMIT %s"  # noqa: S608
            with connection.cursor() as cursor:
                cursor.execute(sql, [*params, batch_size])
                rows = cursor.fetchall()
            if not rows:
                return results
            last = rows[-1][0]
            with transaction.atomic():
                for position, name in enumerate(names, start=1):
                    result = results[f"{table}.{name}"]
                    changes = self.rotated_values(rows, position, result)
                    if changes:
                        result.rotated += self.write(table, pk, name, changes)
            progress.update(len(rows))

    def rotated_values(
        self, rows: list[tuple[Any, ...]], position: int, result: ColumnResult
    ) -> list[tuple[object, str, str]]:
        field_cipher = cipher()
        changes = []
        for row in rows:
            row_id, stored = row[0], row[position]
            if not stored:
                result.empty += 1
            elif not field_cipher.needs_rotation(stored):
                result.current += 1
            else:
                try:
                    changes.append((row_id, stored, field_cipher.rotate(stored)))
                except ValueError as error:
                    result.failed.append((str(row_id), str(error)))
        return changes

    def write(self, table: str, pk: str, column: str, changes: list[tuple[object, str, str]]) -> int:
        """One UPDATE for the batch. A row is rewritten only if it still holds the value read, so a value
        saved by the application meanwhile (already under the new key) is never overwritten."""
        quote = connection.ops.quote_name
        whens = " ".join(["WHEN %s THEN %s"] * len(changes))
        ids = ", ".join(["%s"] * len(changes))
        params: list[Any] = [value for row_id, _old, new in changes for value in (row_id, new)]
        params += [row_id for row_id, _old, _new in changes]
        params += [value for row_id, old, _new in changes for value in (row_id, old)]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {quote(table)} SET {quote(column)} = CASE {quote(pk)} {whens} END "  # noqa: S608
                f"WHERE {quote(pk)} IN ({ids}) AND {quote(column)} = CASE {quote(pk)} {whens} END",
                params,
            )
            updated: int = cursor.rowcount
            return updated

    def record_run(self, results: dict[str, ColumnResult]) -> None:
        token = audit.set_context(audit.AuditContext(actor_label="rotate-keys", request_id=str(uuid.uuid4())))
        try:
            audit.record(
                "keys.rotate",
                organization_id=None,
                detail={
                    "columns": {
                        name: {"rotated": r.rotated, "current": r.current, "failed": len(r.failed)}
                        for name, r in results.items()
                    },
                    "failed_rows": [[name, row_id] for name, r in results.items() for row_id, _ in r.failed][
                        :200
                    ],
                },
            )
        finally:
            audit.reset_context(token)
