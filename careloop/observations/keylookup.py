"""Looking up many rows by key at once, the way each database does it best.

PostgreSQL takes one array parameter (`col = ANY(%s)`): parsing ten thousand `IN (%s, ...)` placeholders
costs more than the index lookups. SQLite has no arrays and caps a statement's parameters (999 in older
builds), so keys go in IN lists of 900.
"""

from collections.abc import Iterator, Sequence
from typing import Any

from django.db import connection
from django.db.models import CharField, IntegerField, Lookup


@CharField.register_lookup
@IntegerField.register_lookup
class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return "%s", [list(value)]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


def key_filters(field: str, keys: Sequence[Any]) -> Iterator[dict[str, Any]]:
    """Filter keyword arguments selecting rows whose `field` is one of `keys`, one per query to run."""
    if not keys:
        return
    if connection.vendor == "postgresql":
        yield {f"{field}__any_of": list(keys)}
        return
    for start in range(0, len(keys), 900):
        yield {f"{field}__in": keys[start : start + 900]}
