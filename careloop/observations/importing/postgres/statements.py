"""The SQL of a merge on PostgreSQL. Identifiers come from the models; values always go as parameters.

A chunk whose keys are probably new is copied straight into the observation table. Otherwise (or when a
key was stored after all) it is copied into a temporary staging table (its columns: COPIED),
then its new natural keys are inserted from it; only when some keys were stored already, the stored
rows whose meaning differs (rows.MEANING) are kept as versions and corrected, and those whose meaning is
the same take the staged REFRESHED columns. Each staged row finds its observation by the natural key
through the index (LATERAL ... LIMIT 1): a join with the whole observation table is planned as a scan.
"""

import hashlib
from dataclasses import dataclass

from django.db import connection

from careloop.bulkinsert import binary_copy_types, column_name, concrete_field
from careloop.observations.importing.rows import CORRECTED, MEANING, REFRESHED, VERSIONED, ObservationRow
from careloop.observations.models import Observation, ObservationVersion


def column(name: str) -> str:
    """The quoted column of an Observation field (`patient` or `patient_id`)."""
    return connection.ops.quote_name(column_name(concrete_field(Observation, name)))


# What a merge writes of a new row besides the ObservationRow: its organization, its batch, version 1, and
# the time of the merge (the statements take them as parameters, a COPY straight into the table per row).
WRITTEN = ("organization", "batch", "version", "updated_at")
# The columns of a copied row, staged or straight into the table, in order.
COPIED = (*ObservationRow._fields, *WRITTEN)


def copy_types(names: tuple[str, ...]) -> list[str]:
    """The psycopg type of each of these Observation columns in a binary COPY."""
    types = binary_copy_types([concrete_field(Observation, name) for name in names], connection)
    assert types is not None, "every observation column has a binary form"
    return types


@dataclass(frozen=True)
class Statements:
    create_staging: str
    copy_into_staging: str  # binary, COPIED
    copy_into_table: str  # binary, COPIED
    insert_new: str  # rowcount: the rows created
    keep_versions: str  # returns the ids of the stored rows whose meaning changed
    correct: str  # by %(ids)s
    find_stale: str  # the ids of the stored rows whose REFRESHED columns are not the staged ones
    refresh: str  # by %(ids)s
    empty_staging: str
    stored_as_sent_one_system: str  # see PostgresStore.stored_as_sent
    stored_as_sent: str


def statements() -> Statements:
    observation = connection.ops.quote_name(Observation._meta.db_table)
    version_table = connection.ops.quote_name(ObservationVersion._meta.db_table)
    staged = ", ".join(column(name) for name in COPIED)
    # One table per column list: a connection that outlives a deploy which changed the columns must not
    # reuse a table of the old shape.
    staging = "careloop_observation_staging_" + hashlib.sha256(staged.encode()).hexdigest()[:10]
    key = (
        f"o.{column('organization')} = %(organization)s"
        f" AND o.{column('source_system')} = s.{column('source_system')}"
        f" AND o.{column('source_id')} = s.{column('source_id')}"
    )
    natural_key = ", ".join(column(name) for name in ("organization", "source_system", "source_id"))
    look_up = f"FROM {staging} s CROSS JOIN LATERAL (SELECT * FROM {observation} o WHERE {key} LIMIT 1) o"  # noqa: S608

    def differs(names: tuple[str, ...]) -> str:
        return "({}) IS DISTINCT FROM ({})".format(
            ", ".join(f"o.{column(name)}" for name in names), ", ".join(f"s.{column(name)}" for name in names)
        )

    def assign(names: tuple[str, ...]) -> str:
        return ", ".join(f"{column(name)} = s.{column(name)}" for name in names)

    by_id = f"o.id = ANY(%(ids)s::bigint[]) AND {key}"
    kept = ", ".join(column(name) for name in VERSIONED)
    kept_before = ", ".join(f"o.{column(name)}" for name in VERSIONED)
    probe = (
        f"CROSS JOIN LATERAL (SELECT o.{column('source_digest')} AS digest FROM {observation} o "  # noqa: S608
        f"WHERE o.{column('organization')} = %(organization)s AND o.{column('source_system')} = {{system}} "
        f"AND o.{column('source_id')} = k.id LIMIT 1) o WHERE o.digest = k.digest"
    )
    return Statements(
        create_staging=(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} AS "  # noqa: S608
            f"SELECT {staged} FROM {observation} WITH NO DATA"
        ),
        copy_into_staging=f"COPY {staging} ({staged}) FROM STDIN (FORMAT BINARY)",
        copy_into_table=f"COPY {observation} ({staged}) FROM STDIN (FORMAT BINARY)",
        insert_new=(
            f"INSERT INTO {observation} ({staged}) SELECT {staged} FROM {staging} "  # noqa: S608
            f"ON CONFLICT ({natural_key}) DO NOTHING"
        ),
        keep_versions=(
            f"INSERT INTO {version_table} "
            f"(observation_id, version, replaced_at, replaced_by_batch_id, {kept}) "
            f"SELECT o.id, o.version, %(now)s, %(batch)s, {kept_before} {look_up} "
            f"WHERE {differs(MEANING)} RETURNING observation_id"
        ),
        correct=(
            f"UPDATE {observation} o SET {assign(CORRECTED)}, version = o.version + 1, "  # noqa: S608
            f"batch_id = %(batch)s, updated_at = %(now)s FROM {staging} s WHERE {by_id}"
        ),
        find_stale=f"SELECT o.id {look_up} WHERE {differs(REFRESHED)}",
        refresh=f"UPDATE {observation} o SET {assign(REFRESHED)} FROM {staging} s WHERE {by_id}",  # noqa: S608
        empty_staging=f"TRUNCATE {staging}",
        # A chunk from one source system, the usual, sends its system once and its positions not at all.
        stored_as_sent_one_system=(
            "SELECT array_agg(k.position - 1) FROM unnest(%(ids)s::text[], %(digests)s::bigint[]) "  # noqa: S608
            "WITH ORDINALITY AS k(id, digest, position) " + probe.format(system="%(system)s")
        ),
        stored_as_sent=(
            "SELECT array_agg(k.position) FROM unnest(%(positions)s::int[], %(systems)s::text[], "  # noqa: S608
            "%(ids)s::text[], %(digests)s::bigint[]) AS k(position, system, id, digest) "
            + probe.format(system="k.system")
        ),
    )
