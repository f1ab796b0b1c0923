"""merge.merge_observations on PostgreSQL: the comparison happens in the database, not in Python.

A chunk of new keys is copied straight into the table. Otherwise it is copied into a temporary staging
table, rows with new keys are inserted from there (`ON CONFLICT DO NOTHING`), and the old content of
stored rows whose content differs becomes an ObservationVersion before they are updated. Python only
writes the COPY stream; while the database compares and writes, the next chunk is prepared (see
pipeline._prepared_chunks). Counts come from the statements' row counts.
"""

from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, connection, transaction

from careloop.bulkinsert import binary_copy_types, column_name, concrete_field
from careloop.observations.models import Observation, ObservationVersion

_STAGING = "careloop_observation_staging"
# How many of a chunk's keys are looked up to guess whether it is new (see merge_rows).
_SAMPLE = 50


def _column(name: str) -> str:
    return connection.ops.quote_name(column_name(concrete_field(Observation, name)))


def merge_rows(
    organization_id: int,
    batch_id: int | None,
    now: Any,
    rows: Sequence[tuple[Any, ...]],
    columns: Sequence[str],
    content: Sequence[str],
    versioned: Sequence[str],
) -> tuple[int, int]:
    """(created, updated) for `rows` (tuples in `columns` order, one per natural key).

    Runs in the caller's transaction. `content` are the columns whose change makes a new version;
    `versioned` those an ObservationVersion keeps.

    A first import is optimistic: when none of a sample of the keys is stored, the rows go straight in
    by binary COPY, which costs about half an `INSERT … ON CONFLICT`. If a key turns out to be there
    after all (the rest of the chunk, or another import meanwhile), the COPY fails whole and is undone,
    and the rows take the staging table like any chunk that meets stored keys.
    """
    if not rows:
        return 0, 0
    system_at, id_at = columns.index("source_system"), columns.index("source_id")
    sample = rows[:_SAMPLE]
    found = Observation.objects.filter(
        organization_id=organization_id,
        source_system__in={row[system_at] for row in sample},
        source_id__in=[row[id_at] for row in sample],
    )
    if not found.exists():
        try:
            with transaction.atomic():  # a savepoint: a failed COPY is undone alone
                _copy_new(organization_id, batch_id, now, rows, columns)
        except IntegrityError:
            pass
        else:
            return len(rows), 0
    return _merge_staged(organization_id, batch_id, now, rows, columns, content, versioned)


def _copy_new(
    organization_id: int,
    batch_id: int | None,
    now: Any,
    rows: Sequence[tuple[Any, ...]],
    columns: Sequence[str],
) -> None:
    names = ["organization", "batch", "version", "updated_at", *columns]
    fields = [concrete_field(Observation, name) for name in names]
    table = connection.ops.quote_name(Observation._meta.db_table)
    target = f"{table} ({', '.join(connection.ops.quote_name(column_name(f)) for f in fields)})"
    types = binary_copy_types(fields, connection)
    binary = " (FORMAT BINARY)" if types else ""
    # The driver's own cursor does the COPY: its errors are turned into Django's (IntegrityError) here.
    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {target} FROM STDIN{binary}") as copy,
    ):
        if types:
            copy.set_types(types)
        write = copy.write_row
        for row in rows:
            write((organization_id, batch_id, 1, now, *row))


def _merge_staged(
    organization_id: int,
    batch_id: int | None,
    now: Any,
    rows: Sequence[tuple[Any, ...]],
    columns: Sequence[str],
    content: Sequence[str],
    versioned: Sequence[str],
) -> tuple[int, int]:
    """merge_rows through the staging table."""
    observation = connection.ops.quote_name(Observation._meta.db_table)
    version_table = connection.ops.quote_name(ObservationVersion._meta.db_table)
    staged = ", ".join(_column(name) for name in columns)
    key = (
        f"o.{_column('organization')} = %(organization)s"
        f" AND o.{_column('source_system')} = s.{_column('source_system')}"
        f" AND o.{_column('source_id')} = s.{_column('source_id')}"
    )
    differs = "({}) IS DISTINCT FROM ({})".format(
        ", ".join(f"o.{_column(name)}" for name in content),
        ", ".join(f"s.{_column(name)}" for name in content),
    )
    natural_key = ", ".join(_column(name) for name in ("organization", "source_system", "source_id"))
    kept = ", ".join(_column(name) for name in versioned)
    params = {"organization": organization_id, "batch": batch_id, "now": now}
    # Identifiers come from the models, values go as parameters.
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGING} AS "  # noqa: S608
            f"SELECT {staged} FROM {observation} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {_STAGING}")
        types = binary_copy_types([concrete_field(Observation, name) for name in columns], connection)
        binary = " (FORMAT BINARY)" if types else ""
        with cursor.cursor.copy(f"COPY {_STAGING} ({staged}) FROM STDIN{binary}") as copy:
            if types:
                copy.set_types(types)
            write = copy.write_row
            for row in rows:
                write(row)
        cursor.execute(
            f"INSERT INTO {observation} (organization_id, batch_id, version, updated_at, {staged}) "  # noqa: S608
            f"SELECT %(organization)s, %(batch)s, 1, %(now)s, {staged} FROM {_STAGING} "
            f"ON CONFLICT ({natural_key}) DO NOTHING",
            params,
        )
        created = cursor.rowcount
        updated = 0
        if created < len(rows):
            # Rows already there: the old content of those that differ becomes a version, then they change.
            # Each staged row looks its observation up by the natural key (LIMIT 1 keeps the planner from
            # joining the whole table: a hash join would read every observation, chunk after chunk).
            old = ", ".join("o." + _column(name) for name in versioned)
            cursor.execute(
                f"INSERT INTO {version_table} "  # noqa: S608
                f"(observation_id, version, replaced_at, replaced_by_batch_id, {kept}) "
                f"SELECT o.id, o.version, %(now)s, %(batch)s, {old} FROM {_STAGING} s "
                f"CROSS JOIN LATERAL (SELECT * FROM {observation} o WHERE {key} LIMIT 1) o "
                f"WHERE {differs} RETURNING observation_id",
                params,
            )
            changed = [observation_id for (observation_id,) in cursor.fetchall()]
            if changed:
                assignments = ", ".join(f"{_column(name)} = s.{_column(name)}" for name in content)
                cursor.execute(
                    f"UPDATE {observation} o SET {assignments}, version = o.version + 1, "  # noqa: S608
                    f"batch_id = %(batch)s, updated_at = %(now)s FROM {_STAGING} s "
                    f"WHERE o.id = ANY(%(changed)s::bigint[]) AND {key}",
                    {**params, "changed": "{" + ",".join(map(str, changed)) + "}"},
                )
                updated = cursor.rowcount
        cursor.execute(f"TRUNCATE {_STAGING}")
    return created, updated
