"""On PostgreSQL the database itself refuses to rewrite the audit trail, whatever the ORM is bypassed with."""

import pytest
from django.db import DatabaseError, connection, transaction

from careloop.accounts import audit
from careloop.accounts.models import AuditEntry, AuditSeal
from tests.accounts.auditing import ENTRIES, SEALS, seal

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the triggers are PostgreSQL's; SQLite has the ORM guards only"
)


@pytest.fixture
def sealed(org):
    entry = audit.record("patient.view", organization_id=org.pk, patient_id=7)
    seal()
    with connection.cursor() as cursor:  # as if committed: the seal's foreign key checked now, not at the end
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    return entry


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        f"UPDATE {ENTRIES} SET action = 'patient.create'",
        f"UPDATE {ENTRIES} SET ip = '192.0.2.1' WHERE false",  # refused even when it would change nothing
        f"DELETE FROM {ENTRIES}",
        f"TRUNCATE {ENTRIES} CASCADE",
        f"UPDATE {SEALS} SET mac = repeat('0', 64)",
        f"DELETE FROM {SEALS}",
        f"TRUNCATE {SEALS}",
    ],
)
def test_raw_update_delete_and_truncate_are_refused(sealed, sql):
    refused = pytest.raises(DatabaseError, match="the audit trail is append-only")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert AuditEntry.objects.get(pk=sealed.pk).action == "patient.view"
    assert AuditSeal.objects.filter(entry=sealed).exists()


@pytest.mark.django_db
def test_inserting_still_works(sealed, org):
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ENTRIES} (chain, at, organization_id, actor_label, actor_role, action, "
            "object_type, object_id, ip, request_id, detail) "
            "VALUES (%s, now(), %s, '', '', 'patient.list', '', '', '', '', '{}')",
            [org.pk, org.pk],
        )
    assert AuditEntry.objects.count() == 2
