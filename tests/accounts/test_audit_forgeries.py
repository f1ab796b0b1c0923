"""`careloop audit verify` against a database writer's forgeries (issue 21, item 4): each is found and named.

The attacker here writes the database directly, past the append-only triggers, but holds neither the sealing
key nor the checkpoints, which live outside the database.
"""

import datetime
import hashlib

import pytest
from django.utils import timezone

from careloop.accounts import auditchain
from careloop.accounts.audit import SEALED_COLUMNS
from careloop.accounts.models import AuditEntry
from tests.accounts.auditing import ENTRIES, SEALS, line_of, seal, seals_of, tamper, verify, verify_failing
from tests.factories import make_patient, make_user


@pytest.fixture
def chains(org, other_org, doctor):
    """Two organizations' chains, sealed and checkpointed: four entries in `org`, one in `other_org`."""
    for name in ["张三", "李四", "王五", "赵六"]:
        make_patient(doctor, name=name)
    make_patient(make_user(other_org, "doctor"), name="钱七")
    seal()
    return org, other_org


def assert_only_broken(output: str, broken: int, whole: int) -> str:
    assert "ok" in line_of(output, whole)
    return line_of(output, broken)


@pytest.mark.django_db
def test_the_last_entry_deleted_and_the_head_rolled_back_is_named(chains):
    org, other = chains
    last = seals_of(org.pk)[-1]
    tamper(f"DELETE FROM {SEALS} WHERE id = %s", [last.pk])
    tamper(f"DELETE FROM {ENTRIES} WHERE id = %s", [last.entry_id])
    output, error = verify_failing()
    line = assert_only_broken(output, org.pk, other.pk)
    assert "BROKEN at head: its newest entries or seals were removed" in line
    assert "recorded 4 sealed entries, 3 are left" in line
    assert "1 of 2 audit chain(s) broken" in error


@pytest.mark.django_db
def test_an_entry_rewritten_and_the_chain_recomputed_without_the_key_is_named(chains):
    org, other = chains
    victim = seals_of(org.pk)[1]
    tamper(
        f"UPDATE {ENTRIES} SET action = 'patient.create', ip = '192.0.2.66' WHERE id = %s", [victim.entry_id]
    )
    # The attacker recomputes every seal of the chain as the code would, with a key of their own making.
    guessed = auditchain.SealKey("test1", hashlib.sha256(b"a guess").hexdigest().encode())
    entries = list(AuditEntry.objects.filter(chain=org.pk).order_by("pk").values(*SEALED_COLUMNS))
    tamper(f"DELETE FROM {SEALS} WHERE chain = %s", [org.pk])
    for forged in auditchain.seal_entries(org.pk, auditchain.EMPTY, entries, guessed):
        tamper(
            f"INSERT INTO {SEALS} (entry_id, chain, seq, prev, mac, key_id, sealed_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                forged.entry_id,
                forged.chain,
                forged.seq,
                forged.prev,
                forged.mac,
                forged.key_id,
                timezone.now(),
            ],
        )
    output, _error = verify_failing()
    line = assert_only_broken(output, org.pk, other.pk)
    assert "BROKEN at sequence 1" in line
    assert "its entry does not match its seal (changed after sealing, or sealed without the key)" in line


@pytest.mark.django_db
def test_an_organizations_whole_chain_deleted_is_named(chains):
    org, other = chains
    tamper(f"DELETE FROM {SEALS} WHERE chain = %s", [org.pk])
    tamper(f"DELETE FROM {ENTRIES} WHERE chain = %s", [org.pk])
    output, error = verify_failing()
    line = assert_only_broken(output, org.pk, other.pk)
    assert line.startswith(f"chain {org.pk} ({org.code}): BROKEN at head: the chain was removed")
    assert "recorded 4 sealed entries, none is left" in line
    assert f"chain {org.pk}" in error


@pytest.mark.django_db
def test_a_seal_deleted_is_named(chains):
    org, other = chains
    victim = seals_of(org.pk)[1]
    tamper(f"DELETE FROM {SEALS} WHERE id = %s", [victim.pk])
    output, _error = verify_failing()
    line = assert_only_broken(output, org.pk, other.pk)
    assert "BROKEN at sequence 3" in line
    assert "seal 2 is missing (the next one found is 3)" in line
    seal()  # the sealer gives the orphaned entry a new seal at the end: the gap stays
    assert "seal 2 is missing" in line_of(verify_failing()[0], org.pk)


@pytest.mark.django_db
def test_an_entry_added_without_a_seal_beyond_the_grace_period_is_named(chains):
    org, other = chains
    two_hours_ago = timezone.now() - datetime.timedelta(hours=2)
    tamper(
        f"INSERT INTO {ENTRIES} (chain, at, organization_id, actor_label, actor_role, action, object_type, "
        "object_id, ip, request_id, detail) VALUES (%s, %s, %s, 'doctor9', 'doctor', 'patient.view', '', '', "
        "'10.0.0.9', '', '{}')",
        [org.pk, two_hours_ago, org.pk],
    )
    forged = AuditEntry.objects.filter(actor_label="doctor9").get()
    output, _error = verify_failing()
    line = assert_only_broken(output, org.pk, other.pk)
    assert (
        f"BROKEN: 1 entries have had no seal for more than 60 minutes (the oldest: entry id {forged.pk}"
        in line
    )
    assert "added behind the sealer's back, or the sealer is not running" in line
    assert "(1 waiting for their seal)" in line_of(verify("--grace-minutes", "180"), org.pk)


@pytest.mark.django_db
def test_a_chain_rolled_back_and_sealed_again_is_named_by_the_older_checkpoint(chains, doctor):
    org, other = chains
    for stale in seals_of(org.pk)[-2:]:
        tamper(f"DELETE FROM {SEALS} WHERE id = %s", [stale.pk])
        tamper(f"DELETE FROM {ENTRIES} WHERE id = %s", [stale.entry_id])
    for name in ["甲", "乙", "丙"]:
        make_patient(doctor, name=name)
    seal()  # the newest checkpoint now agrees with the rewritten chain; the earlier one does not
    output, _error = verify_failing()
    line = assert_only_broken(output, org.pk, other.pk)
    assert "BROKEN at sequence 4" in line  # the seal the first checkpoint recorded as the chain's newest
    assert "is not the seal the checkpoint of" in line


@pytest.mark.django_db
def test_a_forged_checkpoint_line_is_refused(chains, audit_checkpoints):
    org, _other = chains
    checkpoint_file = next(audit_checkpoints.glob("*.jsonl"))
    line = checkpoint_file.read_text().splitlines()[-1]
    rolled_back = line.replace(f'"{org.pk}":[4,', f'"{org.pk}":[3,')
    assert rolled_back != line
    checkpoint_file.write_text(rolled_back + "\n")
    output, error = verify_failing()
    assert "checkpoint REFUSED" in output and "its signature does not hold" in output
    assert "1 checkpoint(s) refused" in error


@pytest.mark.django_db
def test_without_checkpoints_the_output_says_what_goes_unseen(chains, audit_checkpoints):
    for path in audit_checkpoints.glob("*.jsonl"):
        path.unlink()
    output = verify()
    assert output.startswith("checkpoints: none found in")
    assert "removed newest entries and removed chains go unseen" in output
