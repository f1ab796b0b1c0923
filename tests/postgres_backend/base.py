"""PostgreSQL as in production, except that the test flush may empty the append-only audit tables.

`flush` (run by pytest-django after each transactional test) truncates every table, and the audit tables'
triggers refuse TRUNCATE. `session_replication_role = replica` turns ordinary triggers off; only a superuser
may set it (the tests connect as one), and SET LOCAL keeps it to the flush's own transaction.
"""

from typing import Any

from django.db.backends.postgresql import base, operations


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(
        self, style: Any, tables: Any, *, reset_sequences: bool = False, allow_cascade: bool = False
    ) -> list[str]:
        statements = super().sql_flush(
            style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        return ["SET LOCAL session_replication_role = replica", *statements] if statements else statements


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
