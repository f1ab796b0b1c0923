"""The audit trail in the database: who/what/where is written by one plain insert, sealed, and verified."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careloop.accounts import audit
from careloop.accounts.models import AuditEntry, AuditSeal, User
from tests.accounts.auditing import ENTRIES, seal, seals_of, tamper, verify, verify_failing
from tests.factories import make_patient, make_user

REQUEST_ID = "3f2a9c1e-7b4d-4e8a-9c0f-1a2b3c4d5e6f"


@pytest.fixture
def busy_org(org, doctor, nurse):
    """An organization whose chain has a handful of sealed entries."""
    for name in ["张三", "李四", "王五"]:
        make_patient(doctor, name=name)
    seal()
    return org


def writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}]


@pytest.mark.django_db
def test_patient_page_view_writes_who_what_where(logged_in, nurse, patient, settings):
    settings.TRUSTED_PROXIES = ["10.20.30.0/24"]
    client = logged_in(nurse)
    response = client.get(
        reverse("patients:detail", args=[patient.pk]),
        REMOTE_ADDR="10.20.30.40",
        headers={"X-Request-ID": REQUEST_ID},
    )
    assert response.status_code == 200
    entry = AuditEntry.objects.filter(action="patient.view").get()
    assert entry.actor_id == nurse.pk
    assert entry.actor_label == nurse.username
    assert entry.actor_role == "nurse"
    assert entry.ip == "10.20.30.40"
    assert entry.request_id == REQUEST_ID == response["X-Request-ID"]
    assert entry.patient_id == patient.pk
    assert entry.organization_id == entry.chain == patient.organization_id
    assert (entry.object_type, entry.object_id) == ("Patient", str(patient.pk))
    assert entry.detail == {"section": "summary"}


@pytest.mark.django_db
def test_appending_an_entry_is_one_plain_insert(org):
    with CaptureQueriesContext(connection) as queries:
        audit.record("patient.list", organization_id=org.pk, detail={"patients": [1, 2]})
    assert len(queries) == 1
    assert queries[0]["sql"].startswith(f'INSERT INTO "{ENTRIES}"')
    assert not AuditSeal.objects.exists()  # the sealer seals it, later


@pytest.mark.django_db
def test_a_page_view_writes_the_entry_and_nothing_else_and_locks_nothing(logged_in, nurse, patient):
    client = logged_in(nurse)
    url = reverse("patients:detail", args=[patient.pk])
    client.get(url)  # a session's first request refreshes its expiry (at most once a minute)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    assert [sql.split('"')[1] for sql in writes(queries)] == [ENTRIES]
    assert not [q for q in queries if "FOR UPDATE" in q["sql"].upper()]


@pytest.mark.django_db
def test_identifiers_never_reach_the_audit_detail(logged_in, doctor, patient):
    client = logged_in(doctor)
    client.post(reverse("patients:reveal", args=[patient.pk, "id_number"]))
    client.post(reverse("patients:list"), {"q": patient.id_number}, follow=True)
    client.post(reverse("patients:list"), {"q": patient.mobile}, follow=True)
    text = str(list(AuditEntry.objects.values_list("detail", flat=True)))
    assert patient.id_number not in text
    assert patient.mobile not in text


@pytest.mark.django_db
def test_sealed_chains_verify_with_their_counts_and_checkpoint(busy_org, other_org):
    make_patient(make_user(other_org, "doctor"), name="赵六")
    seal()
    output = verify()
    entries = AuditEntry.objects.filter(chain=busy_org.pk).count()
    assert f"chain {busy_org.pk} ({busy_org.code}): ok {entries} entries" in output
    assert f"covers the first {entries}" in output
    assert f"chain {other_org.pk} ({other_org.code}): ok 1 entries" in output
    assert output.startswith("checkpoints: 2 read from ")


@pytest.mark.django_db
def test_entries_waiting_for_their_seal_are_counted_not_reported(busy_org, doctor):
    make_patient(doctor, name="新来的")
    assert "(1 waiting for their seal)" in verify()


@pytest.mark.django_db
def test_seals_run_in_sequence_per_chain_with_the_newest_key(busy_org, other_org, settings):
    audit.record("keys.rotate", organization_id=None)
    make_patient(make_user(other_org, "doctor"), name="赵六")
    seal()
    for chain in (busy_org.pk, other_org.pk, 0):
        seals = seals_of(chain)
        assert [s.seq for s in seals] == list(range(1, len(seals) + 1))
        assert [s.prev for s in seals[1:]] == [s.mac for s in seals[:-1]]
        assert {s.key_id for s in seals} == {"test1"}
        assert {s.entry.chain for s in seals} == {chain}
    assert not AuditEntry.objects.filter(seal__isnull=True).exists()


@pytest.mark.django_db
def test_verify_one_organization_by_code(busy_org, other_org):
    make_patient(make_user(other_org, "doctor"), name="赵六")
    seal()
    output = verify("--organization", other_org.code)
    assert f"({other_org.code}): ok 1 entries" in output
    assert busy_org.code not in output


@pytest.mark.django_db
def test_verify_unknown_organization_code_fails():
    with pytest.raises(Exception, match="no-such-org"):
        verify("--organization", "no-such-org")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("action", "patient.tampered"),
        ("actor_label", "somebody-else"),
        ("ip", "192.0.2.1"),
        ("patient_id", 999),
    ],
)
def test_a_row_changed_with_raw_sql_fails_verify_naming_its_sequence(busy_org, column, value):
    victim = seals_of(busy_org.pk)[1]
    tamper(f"UPDATE {ENTRIES} SET {column} = %s WHERE id = %s", [value, victim.entry_id])
    _output, error = verify_failing()
    assert f"sequence {victim.seq} (entry id {victim.entry_id})" in error
    assert "does not match its seal" in error


@pytest.mark.django_db
def test_a_broken_chain_does_not_hide_the_others(busy_org, other_org):
    make_patient(make_user(other_org, "doctor"), name="赵六")
    seal()
    tamper(f"UPDATE {ENTRIES} SET action = 'x' WHERE id = %s", [seals_of(other_org.pk)[0].entry_id])
    output, error = verify_failing()
    assert "1 of 2" in error
    assert f"({busy_org.code}): ok" in output


@pytest.mark.django_db
def test_model_refuses_update_and_delete_of_entries_and_seals(patient):
    seal()
    entry = AuditEntry.objects.filter(patient_id=patient.pk).first()
    assert entry is not None
    entry.action = "patient.hidden"
    for row in (entry, entry.seal):
        with pytest.raises(RuntimeError, match="append-only"):
            row.save()
        with pytest.raises(RuntimeError, match="append-only"):
            row.delete()
    for rows in (AuditEntry.objects.filter(pk=entry.pk), AuditSeal.objects.filter(entry=entry)):
        with pytest.raises(RuntimeError, match="append-only"):
            rows.update(chain=99)
        with pytest.raises(RuntimeError, match="append-only"):
            rows.delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "patient.create"


@pytest.mark.django_db
def test_the_django_admin_has_no_audit_trail_for_the_superuser_to_read_or_change(client, patient):
    """Reviewing the trail is the audit reviewer's (三员分立); the superuser has no page of it."""
    root = User.objects.create_superuser("root", password="correct-horse-battery-9")
    client.force_login(root)
    entry = AuditEntry.objects.filter(patient_id=patient.pk).first()
    assert entry is not None
    assert client.get("/admin/accounts/auditentry/").status_code == 404
    assert client.post(f"/admin/accounts/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 404
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.django_db
def test_command_runs_record_under_their_own_name_not_a_user(org):
    token = audit.set_context(audit.AuditContext(actor_label="rotate-keys", request_id="cmd-12345678"))
    try:
        entry = audit.record("keys.rotate", organization_id=None)
    finally:
        audit.reset_context(token)
    assert (entry.chain, entry.actor_id, entry.actor_label, entry.request_id) == (
        0,
        None,
        "rotate-keys",
        "cmd-12345678",
    )
    seal()
    assert "chain 0 (installation): ok 1 entries" in verify()
