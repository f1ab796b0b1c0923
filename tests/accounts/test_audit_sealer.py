"""The sealer: entries sealed behind their insert, late commits not skipped, one sealer at a time, keys
rotated, checkpoints exported to a directory or a syslog target on a schedule."""

import datetime
import socket
import threading

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from careloop.accounts import audit
from careloop.accounts.auditseal import ADVISORY_LOCK, Sealer
from careloop.accounts.models import AuditEntry, AuditSeal
from tests.accounts.auditing import line_of, seal, seals_of, tamper, verify, verify_failing
from tests.factories import make_organization

KEY_2 = "test2:" + "n" * 40


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def entry_with_id(pk: int, organization_id: int) -> AuditEntry:
    """An entry whose id was drawn long before it became visible, as a slow transaction's would be."""
    entry = AuditEntry(
        pk=pk,
        chain=organization_id,
        at=timezone.now(),
        organization_id=organization_id,
        action="patient.view",
    )
    entry.save(force_insert=True)
    return entry


@pytest.mark.django_db
def test_a_second_pass_seals_only_what_is_new(org):
    sealer = Sealer()
    audit.record("patient.list", organization_id=org.pk)
    assert sealer.run_once().sealed == 1
    assert sealer.run_once().sealed == 0
    audit.record("patient.list", organization_id=org.pk)
    assert sealer.run_once().sealed == 1
    assert [s.seq for s in seals_of(org.pk)] == [1, 2]


@pytest.mark.django_db
def test_an_entry_below_the_floor_is_sealed_by_the_full_sweep(org, monkeypatch):
    clock = Clock()
    sealer = Sealer(clock=clock, settle=0)
    entry_with_id(50, org.pk)
    sealer.run_once()  # the full sweep a sealer starts with; the floor moves to 50
    assert sealer.floor == 50
    entry_with_id(20, org.pk)  # drawn before 50, visible only now
    clock.now += 10
    assert sealer.run_once().sealed == 0  # above the floor there is nothing
    monkeypatch.setattr("careloop.accounts.auditseal.FULL_SWEEP", 5.0)
    result = sealer.run_once()
    assert (result.sealed, result.full_sweep) == (1, True)
    assert [s.entry_id for s in seals_of(org.pk)] == [50, 20]
    assert "ok 2 entries" in verify()


@pytest.mark.django_db
def test_the_floor_waits_for_the_settle_time(org):
    clock = Clock()
    sealer = Sealer(clock=clock, settle=60)
    entry_with_id(50, org.pk)
    sealer.run_once()
    assert sealer.floor == 0
    entry_with_id(20, org.pk)
    clock.now += 30
    assert sealer.run_once().sealed == 1  # within the settle time a pass still looks from the start
    clock.now += 31
    sealer.run_once()
    assert sealer.floor == 50


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite commits writers in the order they begin"
)
@pytest.mark.django_db(transaction=True)
def test_an_entry_whose_transaction_commits_late_is_sealed_after_later_ones():
    org = make_organization()
    inserted, release, done = threading.Event(), threading.Event(), threading.Event()

    def slow_transaction() -> None:
        try:
            with transaction.atomic():
                audit.record("patient.update", organization_id=org.pk, detail={"slow": True})
                inserted.set()
                release.wait(10)
        finally:
            connections.close_all()
            done.set()

    threading.Thread(target=slow_transaction).start()
    assert inserted.wait(10)
    quick = audit.record("patient.view", organization_id=org.pk)
    sealer = Sealer()
    assert sealer.run_once().sealed == 1
    release.set()
    assert done.wait(10)
    assert sealer.run_once().sealed == 1
    slow = AuditEntry.objects.get(action="patient.update")
    assert slow.pk < quick.pk
    assert [(s.seq, s.entry_id) for s in seals_of(org.pk)] == [(1, quick.pk), (2, slow.pk)]
    assert "ok 2 entries" in verify()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the advisory lock is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_while_another_sealer_works_a_pass_skips_its_turn():
    org = make_organization()
    audit.record("patient.list", organization_id=org.pk)
    holding, release = threading.Event(), threading.Event()

    def other_sealer() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK])
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    worker = threading.Thread(target=other_sealer)
    worker.start()
    assert holding.wait(10)
    skipped = Sealer().run_once()
    release.set()
    worker.join()
    assert (skipped.sealed, skipped.checkpoint) == (0, "")
    assert Sealer().run_once().sealed == 1


@pytest.mark.django_db
def test_rotated_keys_seal_with_the_newest_and_verify_with_all(org, settings):
    audit.record("patient.list", organization_id=org.pk)
    seal()
    settings.AUDIT_KEYS = f"{KEY_2},{settings.AUDIT_KEYS}"
    audit.record("patient.list", organization_id=org.pk)
    seal()
    assert [s.key_id for s in seals_of(org.pk)] == ["test1", "test2"]
    assert "ok 2 entries" in verify()
    settings.AUDIT_KEYS = KEY_2  # the old key dropped too soon
    assert "sealed with key 'test1', which is not among the configured keys" in line_of(
        verify_failing()[0], org.pk
    )


@pytest.mark.django_db
def test_checkpoints_are_written_when_due_and_only_when_something_changed(org, settings, audit_checkpoints):
    settings.AUDIT_CHECKPOINT_SECONDS = 300
    clock = Clock()
    sealer = Sealer(clock=clock)
    audit.record("patient.list", organization_id=org.pk)
    assert sealer.run_once().checkpoint.endswith(".jsonl")  # the first pass checkpoints at once
    audit.record("patient.list", organization_id=org.pk)
    clock.now += 100
    assert sealer.run_once().checkpoint == ""  # not due yet
    clock.now += 200
    assert sealer.run_once().checkpoint != ""  # due, and chain moved on
    clock.now += 300
    assert sealer.run_once().checkpoint == ""  # due, but nothing changed
    lines = [line for path in audit_checkpoints.glob("*.jsonl") for line in path.read_text().splitlines()]
    assert len(lines) == 2
    assert f'"{org.pk}":[2,' in lines[-1]


@pytest.mark.django_db
def test_a_checkpoint_lists_every_organizations_chain_and_the_installations(
    org, other_org, audit_checkpoints
):
    audit.record("keys.rotate", organization_id=None)
    audit.record("patient.list", organization_id=org.pk)
    audit.record("patient.list", organization_id=other_org.pk)
    seal()
    line = next(audit_checkpoints.glob("*.jsonl")).read_text()
    assert '"0":[1,' in line and f'"{org.pk}":[1,' in line and f'"{other_org.pk}":[1,' in line


@pytest.mark.django_db
def test_checkpoints_go_to_a_syslog_target_over_udp_and_verify_reads_what_it_collected(
    org, settings, audit_checkpoints, tmp_path
):
    collector = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    collector.bind(("127.0.0.1", 0))
    collector.settimeout(5)
    settings.AUDIT_CHECKPOINT_DIR = None
    settings.AUDIT_CHECKPOINT_SYSLOG = f"udp://127.0.0.1:{collector.getsockname()[1]}"
    try:
        for _ in range(3):
            audit.record("patient.list", organization_id=org.pk)
        assert seal() == 3
        message = collector.recv(65535).decode()
    finally:
        collector.close()
    assert message.startswith("<86>careloop-audit-checkpoint: {")  # authpriv (10) * 8 + info (6)
    assert not audit_checkpoints.exists()
    collected = tmp_path / "syslog-collected.log"
    collected.write_text(f"Nov 24 10:00:00 careloop-host {message}\nNov 24 10:00:01 other-program: hello\n")
    assert f"chain {org.pk} ({org.code}): ok 3 entries" in verify("--checkpoints", str(collected))
    newest = seals_of(org.pk)[-1]
    tamper(f"DELETE FROM {AuditSeal._meta.db_table} WHERE id = %s", [newest.pk])
    tamper(f"DELETE FROM {AuditEntry._meta.db_table} WHERE id = %s", [newest.entry_id])
    assert "recorded 3 sealed entries, 2 are left" in verify_failing("--checkpoints", str(collected))[1]


@pytest.mark.django_db
def test_a_checkpoint_target_that_fails_leaves_the_seals_and_tries_again(org, settings, tmp_path):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    settings.AUDIT_CHECKPOINT_DIR = blocked
    audit.record("patient.list", organization_id=org.pk)
    sealer = Sealer()
    with pytest.raises(OSError):
        sealer.run_once()
    assert AuditSeal.objects.count() == 1
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "checkpoints"
    assert sealer.run_once().checkpoint.endswith(".jsonl")


@pytest.mark.django_db
def test_seals_record_when_they_were_made(org):
    before = timezone.now()
    audit.record("patient.list", organization_id=org.pk)
    seal()
    sealed_at = AuditSeal.objects.get().sealed_at
    assert before <= sealed_at <= timezone.now() + datetime.timedelta(seconds=1)


@pytest.mark.django_db
def test_a_pass_seals_in_batches_until_nothing_waits(org, other_org, monkeypatch):
    monkeypatch.setattr("careloop.accounts.auditseal.BATCH", 2)
    for n in range(7):
        audit.record("patient.list", organization_id=org.pk if n % 2 else other_org.pk)
    assert Sealer().run_once().sealed == 7
    assert [s.seq for s in seals_of(org.pk)] == [1, 2, 3]
    assert [s.seq for s in seals_of(other_org.pk)] == [1, 2, 3, 4]
    assert "ok 4 entries" in line_of(verify(), other_org.pk)
