"""The audit trail in the database: who/what/where is written, tampering is found, the page reads it."""

import datetime
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from careloop.accounts import audit
from careloop.accounts.models import AuditEntry, User
from tests.factories import make_organization, make_patient, make_user

TABLE = AuditEntry._meta.db_table
REQUEST_ID = "3f2a9c1e-7b4d-4e8a-9c0f-1a2b3c4d5e6f"


@pytest.fixture
def en_client():
    return Client(headers={"Accept-Language": "en"})


def run_sql(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def verify(*args: str) -> str:
    out = io.StringIO()
    call_command("audit", "verify", *args, stdout=out)
    return out.getvalue()


def chain_of(organization_id: int) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(chain=organization_id).order_by("seq"))


@pytest.fixture
def busy_org(org, doctor, nurse):
    """An organization whose chain has a handful of entries."""
    for name in ["张三", "李四", "王五"]:
        make_patient(doctor, name=name)
    return org


@pytest.mark.django_db
def test_patient_page_view_writes_who_what_where(logged_in, nurse, patient):
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
    assert entry.organization_id == patient.organization_id
    assert (entry.object_type, entry.object_id) == ("Patient", str(patient.pk))
    assert entry.detail == {"section": "summary"}


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
def test_intact_chains_verify(busy_org, other_org):
    make_patient(make_user(other_org, "doctor"), name="赵六")
    output = verify()
    assert f"chain {busy_org.pk} ({busy_org.code}): ok {len(chain_of(busy_org.pk))} entries" in output
    assert f"chain {other_org.pk} ({other_org.code}): ok" in output


@pytest.mark.django_db
def test_verify_one_organization_by_code(busy_org, other_org):
    make_patient(make_user(other_org, "doctor"), name="赵六")
    output = verify("--organization", other_org.code)
    assert f"({other_org.code}): ok 1 entries" in output
    assert busy_org.code not in output


@pytest.mark.django_db
def test_verify_unknown_organization_code_fails():
    with pytest.raises(CommandError, match="no-such-org"):
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
def test_row_changed_with_raw_sql_fails_verify_naming_its_sequence(busy_org, column, value):
    victim = chain_of(busy_org.pk)[1]
    run_sql(f"UPDATE {TABLE} SET {column} = %s WHERE id = %s", [value, victim.pk])
    with pytest.raises(CommandError) as caught:
        verify()
    assert f"sequence {victim.seq} (entry id {victim.pk})" in str(caught.value)
    assert "does not match its hash" in str(caught.value)


@pytest.mark.django_db
def test_row_deleted_in_the_middle_fails_verify(busy_org):
    entries = chain_of(busy_org.pk)
    run_sql(f"DELETE FROM {TABLE} WHERE id = %s", [entries[1].pk])
    with pytest.raises(CommandError) as caught:
        verify()
    assert f"sequence {entries[2].seq}" in str(caught.value)
    assert f"entry {entries[1].seq} is missing" in str(caught.value)


@pytest.mark.django_db
def test_newest_row_deleted_fails_verify_at_the_head(busy_org):
    run_sql(f"DELETE FROM {TABLE} WHERE id = %s", [chain_of(busy_org.pk)[-1].pk])
    with pytest.raises(CommandError, match="BROKEN at head"):
        verify()


@pytest.mark.django_db
def test_a_broken_chain_does_not_hide_the_others(busy_org, other_org):
    make_patient(make_user(other_org, "doctor"), name="赵六")
    run_sql(f"UPDATE {TABLE} SET action = 'x' WHERE id = %s", [chain_of(other_org.pk)[0].pk])
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 of 2"):
        call_command("audit", "verify", stdout=out)
    assert f"({busy_org.code}): ok" in out.getvalue()


@pytest.mark.django_db
def test_model_refuses_update_and_delete(patient):
    entry = AuditEntry.objects.filter(patient_id=patient.pk).first()
    assert entry is not None
    entry.action = "patient.hidden"
    with pytest.raises(RuntimeError, match="append-only"):
        entry.save()
    with pytest.raises(RuntimeError, match="append-only"):
        entry.delete()
    with pytest.raises(RuntimeError, match="append-only"):
        AuditEntry.objects.filter(pk=entry.pk).update(action="patient.hidden")
    with pytest.raises(RuntimeError, match="append-only"):
        AuditEntry.objects.filter(pk=entry.pk).delete()
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


def _page_entries(response) -> list[AuditEntry]:
    assert response.status_code == 200
    return list(response.context["page"])


@pytest.fixture
def two_patients_seen(org, doctor, nurse):
    first, second = make_patient(doctor, name="张三"), make_patient(doctor, name="李四")
    for user, patient in [(nurse, first), (doctor, second)]:
        client = Client()
        client.force_login(user)
        client.get(reverse("patients:detail", args=[patient.pk]))
    return first, second


@pytest.mark.django_db
def test_audit_page_filters_by_patient(en_client, auditor, two_patients_seen):
    first, _second = two_patients_seen
    en_client.force_login(auditor)
    entries = _page_entries(en_client.get(reverse("accounts:audit"), {"patient": first.pk}))
    assert {e.action for e in entries} == {"patient.create", "patient.view"}
    assert {e.patient_id for e in entries} == {first.pk}


@pytest.mark.django_db
def test_audit_page_filters_by_user(en_client, auditor, nurse, two_patients_seen):
    first, _second = two_patients_seen
    en_client.force_login(auditor)
    entries = _page_entries(en_client.get(reverse("accounts:audit"), {"user": nurse.pk}))
    assert [(e.actor_id, e.action, e.patient_id) for e in entries] == [(nurse.pk, "patient.view", first.pk)]


@pytest.mark.django_db
def test_audit_page_filters_by_date(en_client, auditor, two_patients_seen):
    first, _second = two_patients_seen
    old = AuditEntry.objects.filter(patient_id=first.pk, action="patient.create").get()
    ten_days_ago = timezone.now() - datetime.timedelta(days=10)
    run_sql(f"UPDATE {TABLE} SET at = %s WHERE id = %s", [ten_days_ago, old.pk])
    en_client.force_login(auditor)
    day = timezone.localtime(ten_days_ago).date()
    today = timezone.localdate()
    that_day = _page_entries(en_client.get(reverse("accounts:audit"), {"since": day, "until": day}))
    assert [e.pk for e in that_day] == [old.pk]
    recent = _page_entries(en_client.get(reverse("accounts:audit"), {"since": today}))
    assert old.pk not in {e.pk for e in recent}
    assert len(recent) == AuditEntry.objects.filter(organization_id=first.organization_id).count() - 1


@pytest.mark.django_db
def test_audit_page_shows_only_the_users_organization_and_refuses_nurses(
    en_client, auditor, nurse, other_org
):
    elsewhere = make_patient(make_user(other_org, "doctor"), name="赵六")
    mine = make_patient(make_user(auditor.organization, "doctor"), name="张三")
    en_client.force_login(auditor)
    entries = _page_entries(en_client.get(reverse("accounts:audit")))
    assert {e.organization_id for e in entries} == {auditor.organization_id}
    assert mine.pk in {e.patient_id for e in entries}
    assert elsewhere.pk not in {e.patient_id for e in entries}
    en_client.force_login(nurse)
    assert en_client.get(reverse("accounts:audit")).status_code == 403
    assert en_client.post(reverse("accounts:audit_verify")).status_code == 403


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_verify_button_runs_in_the_worker_and_reports_a_whole_chain(en_client):
    org = make_organization()
    auditor = make_user(org, "auditor")
    make_patient(make_user(org, "doctor"), name="张三")
    en_client.force_login(auditor)
    response = en_client.post(reverse("accounts:audit_verify"))
    assert response.status_code == 302
    task = DBTaskResult.objects.get()
    assert task.task_path.endswith("verify_audit_chain")
    assert task.status == "READY"
    assert (
        "Verifying the chain in the background" in en_client.get(reverse("accounts:audit")).content.decode()
    )

    run_worker()

    page = en_client.get(reverse("accounts:audit")).content.decode()
    entries = AuditEntry.objects.filter(chain=org.pk).count()
    assert f"The chain is whole: all {entries} entries check out." in page
    assert 'class="banner ok"' in page


@pytest.mark.django_db(transaction=True)
def test_verify_button_reports_where_a_tampered_chain_breaks(en_client):
    org = make_organization()
    auditor = make_user(org, "auditor")
    make_patient(make_user(org, "doctor"), name="张三")
    make_patient(make_user(org, "doctor"), name="李四")
    victim = chain_of(org.pk)[0]
    run_sql(f"UPDATE {TABLE} SET detail = %s WHERE id = %s", ['{"x": 1}', victim.pk])
    en_client.force_login(auditor)
    en_client.post(reverse("accounts:audit_verify"))
    run_worker()
    page = en_client.get(reverse("accounts:audit")).content.decode()
    assert f"The chain is broken at entry {victim.seq}" in page
    assert 'class="banner bad"' in page


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
    assert "chain 0 (installation): ok 1 entries" in verify()
