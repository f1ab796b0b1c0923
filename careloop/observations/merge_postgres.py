"""merge.merge_observations on PostgreSQL: the comparison happens in the database, not in Python.

A chunk is copied into a temporary staging table, then rows whose natural key is new are inserted
(`ON CONFLICT DO NOTHING`); only when some keys were already there, the old content of those whose
content differs becomes an ObservationVersion and they are updated. Python only writes the COPY stream;
while the database compares and writes, the next chunk is prepared (see pipeline._prepared_chunks).
Counts come from the statements' row counts. (Copying a chunk of new keys straight into the table,
with a savepoint in case one was stored, measured no faster: the table's two indexes cost the same.)
"""

import hashlib
from collections.abc import Sequence
from typing import Any

from django.db import connection

from careloop.bulkinsert import binary_copy_types, column_name, concrete_field
from careloop.observations.models import Observation, ObservationVersion


def _staging_name(staged: str) -> str:
    """The temporary table's name, one per column list: a connection that outlives a deploy which
    changed the columns must not reuse a table of the old shape."""
    return "careloop_observation_staging_" + hashlib.sha256(staged.encode()).hexdigest()[:10]


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

    Runs in the caller's transaction.

    `content` are the columns whose change makes a new version; `versioned` those an ObservationVersion keeps.
    """
    observation = connection.ops.quote_name(Observation._meta.db_table)
    version_table = connection.ops.quote_name(ObservationVersion._meta.db_table)
    staged = ", ".join(_column(name) for name in columns)
    staging = _staging_name(staged)
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
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} AS "  # noqa: S608
            f"SELECT {staged} FROM {observation} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {staging}")
        types = binary_copy_types([concrete_field(Observation, name) for name in columns], connection)
        binary = " (FORMAT BINARY)" if types else ""
        with cursor.cursor.copy(f"COPY {staging} ({staged}) FROM STDIN{binary}") as copy:
            if types:
                copy.set_types(types)
            write = copy.write_row
            for row in rows:
                write(row)
        # New keys first: a first import ends here, with one pass over the index.
        cursor.execute(
            f"INSERT INTO {observation} (organization_id, batch_id, version, updated_at, {staged}) "  # noqa: S608
            f"SELECT %(organization)s, %(batch)s, 1, %(now)s, {staged} FROM {staging} "
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
                f"SELECT o.id, o.version, %(now)s, %(batch)s, {old} FROM {staging} s "
                f"CROSS JOIN LATERAL (SELECT * FROM {observation} o WHERE {key} LIMIT 1) o "
                f"WHERE {differs} RETURNING observation_id",
                params,
            )
            changed = [observation_id for (observation_id,) in cursor.fetchall()]
            if changed:
                assignments = ", ".join(f"{_column(name)} = s.{_column(name)}" for name in content)
                cursor.execute(
                    f"UPDATE {observation} o SET {assignments}, version = o.version + 1, "  # noqa: S608
                    f"batch_id = %(batch)s, updated_at = %(now)s FROM {staging} s "
                    f"WHERE o.id = ANY(%(changed)s::bigint[]) AND {key}",
                    {**params, "changed": "{" + ",".join(map(str, changed)) + "}"},
                )
                updated = cursor.rowcount
        cursor.execute(f"TRUNCATE {staging}")
    return created, updated
