"""Looking up many rows by key at once on PostgreSQL: one array parameter per query.

Parsing ten thousand `IN (%s, ...)` placeholders costs more than the index lookups. The array goes as one
text literal built here (Django's lookup resolution and the driver's array adapter would each visit every
element in Python). It is unnested into a subquery (`col IN (SELECT unnest(%s::text[]))`), which
PostgreSQL joins key by key through the index; `col = ANY(...)` is planned as a filter over a scan.
"""

from collections.abc import Iterator, Sequence
from typing import Any, cast

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import CharField, IntegerField, Lookup, QuerySet
from django.db.models.sql.compiler import SQLCompiler

from careloop.observations.importing.keylookup import KeyLookup

# What an expression compiles to (django-stubs' `_AsSqlType`): SQL and its parameters.
_Sql = tuple[str, tuple[str | int, ...]]
_TEXT_TYPES = {"CharField", "TextField"}


@CharField.register_lookup
@IntegerField.register_lookup
class AnyOf(Lookup):
    """`field__any_of=Keys([...])`: the field is one of the keys (PostgreSQL only)."""

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


class ArrayLookup(KeyLookup):
    def filters(self, field: str, keys: Sequence[Any]) -> Iterator[dict[str, Any]]:
        if keys:
            yield {f"{field}__any_of": Keys(keys)}

    def rows[Row](self, queryset: QuerySet[Any, Row]) -> list[Row]:
        """Fetched in one call: the driver already gives Python values for the columns looked up (text,
        integers, dates), and Django's row-by-row conversion would cost more than the query."""
        sql, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            # The driver's rows are the tuples values_list would give.
            return cast(list[Row], cursor.fetchall())
