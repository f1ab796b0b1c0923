"""Looking up many rows by key at once, the way each database does it best.

PostgreSQL takes one array parameter: parsing ten thousand `IN (%s, ...)` placeholders costs more than the
index lookups. The array goes as one text literal built here: both Django's lookup resolution and the
driver's array adapter visit every element in Python (2 us a key). It is unnested into a subquery
(`col IN (SELECT unnest(%s::text[]))`), which PostgreSQL joins key by key through the index; written
`col = ANY(%s::text[])`, two thousand MRNs against 100 k identifiers were a filter over a scan of both
tables and a hash join, 2x the time.
SQLite has no arrays and caps a statement's parameters (999 in older builds), so keys go in IN lists
of 900.
"""

from collections.abc import Iterator, Sequence
from typing import Any

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import CharField, IntegerField, Lookup, QuerySet
from django.db.models.sql.compiler import SQLCompiler

# What an expression compiles to (django-stubs' `_AsSqlType`): SQL and its parameters.
_Sql = tuple[str, tuple[str | int, ...]]


@CharField.register_lookup
@IntegerField.register_lookup
class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    # `value` is the right-hand side as given, here always a Keys (Django passes any rhs through this
    # hook; the stubs' `str | int` is what a plain lookup gets).
    def get_db_prep_lookup(self, value: Any, connection: BaseDatabaseWrapper) -> _Sql:
        keys: Keys = value
        if self.lhs.output_field.get_internal_type() in _TEXT_TYPES:
            return "%s::text[]", (text_array(keys.keys),)
        return "%s::bigint[]", (bigint_array([int(key) for key in keys.keys]),)

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> _Sql:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} IN (SELECT unnest({rhs}))", (*lhs_params, *rhs_params)


_TEXT_TYPES = {"CharField", "TextField"}


class Keys:
    """The keys of an `any_of` lookup, wrapped so that Django does not resolve them one by one."""

    def __init__(self, keys: Sequence[Any]):
        self.keys = keys


def bigint_array(numbers: Sequence[int]) -> str:
    """A PostgreSQL array literal of integers."""
    return "{" + ",".join(map(str, numbers)) + "}"


def text_array(keys: Sequence[str]) -> str:
    """A PostgreSQL array literal of text: every element quoted, backslashes and quotes escaped."""
    if not keys:
        return "{}"
    joined = "\x00".join(keys)  # one scan for the rare key that needs escaping, not two calls per key
    if "\\" in joined or '"' in joined:
        keys = [key.replace("\\", "\\\\").replace('"', '\\"') for key in keys]
    return '{"' + '","'.join(keys) + '"}'


def key_filters(field: str, keys: Sequence[Any]) -> Iterator[dict[str, Any]]:
    """Filter keyword arguments selecting rows whose `field` is one of `keys`, one per query to run."""
    if not keys:
        return
    if connection.vendor == "postgresql":
        yield {f"{field}__any_of": Keys(keys)}
        return
    for start in range(0, len(keys), 900):
        yield {f"{field}__in": keys[start : start + 900]}


def value_rows(
    queryset: QuerySet[Any, Any], reader: BaseDatabaseWrapper | None = None
) -> list[tuple[Any, ...]]:
    """The rows of a `values_list` queryset, fetched in one call, on `reader` if given (a second
    connection to the same database, which sees only what is committed), else on the default one.

    On PostgreSQL the driver already gives Python values for the columns we look up (text, integers,
    dates), and Django's row-by-row iteration would cost more than the query; elsewhere Django converts.
    """
    if connection.vendor != "postgresql":
        return list(queryset)
    sql, params = queryset.query.sql_with_params()
    with (reader or connection).cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows
