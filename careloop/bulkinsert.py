"""Many rows into one table with `executemany`, without building a model instance per row.

Django's `bulk_create` spends most of its time compiling: it makes a model object per row and runs every
value through several method calls. For batch loads of plain rows (seeding, imports) this writes the same
columns from tuples. Each column's value is adapted to the database the way Django would adapt it (dates
and datetimes through the backend's adapters, encrypted fields through the field itself); columns a row
does not give get the field's default, computed once per flush.
Rows are not validated: callers pass values the model accepts.
"""

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper

from careloop.encryption import EncryptedTextField

# Field types whose Python value is what every backend driver takes as is.
_PLAIN = (models.CharField, models.TextField, models.IntegerField, models.BooleanField, models.ForeignKey)


def _adapter(field: models.Field[Any, Any], connection: BaseDatabaseWrapper) -> Callable[[Any], Any] | None:
    """How to turn a Python value into the parameter for this column; None when it goes in unchanged."""
    if isinstance(field, EncryptedTextField):
        return lambda value: field.get_db_prep_save(value, connection)
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return connection.ops.adapt_datefield_value
    if isinstance(field, _PLAIN):
        return None
    return lambda value: field.get_db_prep_save(value, connection)


def concrete_field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    """The field named `name` (or its attname, `patient_id`) that has a column in `model`'s table."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):  # a reverse relation: the other table holds its column
        raise TypeError(f"{model.__name__}.{name} is not a column of {model._meta.db_table}")
    return field


def column_name(field: models.Field[Any, Any]) -> str:
    """The column of a concrete field (the stubs allow None: a field that has no column of its own)."""
    if field.column is None:
        raise TypeError(f"{field} has no column")
    return field.column


# PostgreSQL column types (as Django names them) -> the psycopg type that writes them in binary COPY.
_BINARY_TYPES = {
    "bigint": "int8",
    "integer": "int4",
    "smallint": "int2",
    "double precision": "float8",
    "boolean": "bool",
    "date": "date",
    "timestamp with time zone": "timestamptz",
    "text": "text",
    "uuid": "uuid",
}


def binary_copy_types(
    fields: Sequence[models.Field[Any, Any]], connection: BaseDatabaseWrapper
) -> list[str] | None:
    """The psycopg types for a binary COPY of these columns, or None when one of them has no plain mapping.

    Binary COPY takes about half the time of text COPY, on both sides: no value is printed by the client
    and parsed again by the server.
    """
    types = []
    for field in fields:
        db_type = field.db_type(connection) or ""
        name = "text" if db_type.startswith("varchar") else _BINARY_TYPES.get(db_type)
        if name is None:
            return None
        types.append(name)
    return types


class RowInserter:
    """Collects rows for `model` (values in the order of `columns`, by field name) and inserts them."""

    def __init__(self, model: type[models.Model], columns: Sequence[str], using: str = "default"):
        self.model = model
        self.using = using
        connection = connections[using]
        meta = model._meta
        given = [concrete_field(model, name) for name in columns]
        self.defaults = [
            f for f in meta.concrete_fields if f not in given and not f.primary_key and not f.generated
        ]
        fields = given + self.defaults
        quote = connection.ops.quote_name
        # Table and column names come from the model, never from input; values go as parameters.
        target = "{} ({})".format(quote(meta.db_table), ", ".join(quote(column_name(f)) for f in fields))
        self.sql = "INSERT INTO {} VALUES ({})".format(target, ", ".join(["%s"] * len(fields)))  # noqa: S608
        # PostgreSQL loads rows fastest with COPY (about 4x executemany in pipeline mode, see PERFORMANCE.md).
        self.copy_sql: str | None = None
        self.copy_types: list[str] | None = None
        if connection.vendor == "postgresql":
            self.copy_types = binary_copy_types(fields, connection)
            binary = " (FORMAT BINARY)" if self.copy_types else ""
            self.copy_sql = f"COPY {target} FROM STDIN{binary}"
        adapters = [_adapter(f, connection) for f in given]
        self._adapted = [(i, a) for i, a in enumerate(adapters) if a is not None]
        self.rows: list[list[Any]] = []

    def add(self, values: Sequence[Any]) -> None:
        row = list(values)
        for index, adapt in self._adapted:
            if row[index] is not None:
                row[index] = adapt(row[index])
        self.rows.append(row)

    def extend(self, rows: Iterable[Sequence[Any]]) -> None:
        for values in rows:
            self.add(values)

    def flush(self) -> int:
        """Insert the collected rows; returns how many."""
        if not self.rows:
            return 0
        connection = connections[self.using]
        tail = [f.get_db_prep_save(f.get_default(), connection) for f in self.defaults]
        rows = [row + tail for row in self.rows] if tail else self.rows
        with connection.cursor() as cursor:
            if self.copy_sql:
                with cursor.cursor.copy(self.copy_sql) as copy:
                    if self.copy_types:
                        copy.set_types(self.copy_types)
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany(self.sql, rows)
        count = len(self.rows)
        self.rows = []
        return count
