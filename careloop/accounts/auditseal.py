"""The sealer: chains the entries written since its last pass, and now and then exports a signed checkpoint.

Unsealed entries are found set-based, as entries without a seal (an anti-join), never as "ids above the last
one sealed": an entry's id is drawn when it is inserted, but it becomes visible when its transaction commits,
which may be after later ids were sealed. Such an entry is sealed by a later pass, at the end of its chain.

To keep a pass cheap the anti-join starts at a floor: the highest id seen at a pass at least SETTLE seconds
ago (every entry visible then was sealed by that pass; a transaction still open SETTLE seconds later is
rare). Entries from a transaction open longer are sealed by the full sweep, a pass from the first id, made
when a sealer starts and every FULL_SWEEP seconds.

Only one sealer works at a time: on PostgreSQL a pass holds a transaction-level advisory lock (another
worker's sealer skips its turn); SQLite has one writer at a time anyway. Request paths never take that lock.
"""

import datetime
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef, Q

from careloop.accounts import auditchain, auditcheckpoint, auditexport, auditkeys
from careloop.accounts.audit import SEALED_COLUMNS
from careloop.accounts.auditchain import Tip
from careloop.accounts.models import AuditEntry, AuditSeal, Organization

logger = logging.getLogger("careloop.audit")

SETTLE = 60.0
FULL_SWEEP = 900.0
BATCH = 5000
ADVISORY_LOCK = 0x61756469745F7365  # "audit_se": one sealer at a time, on PostgreSQL


def unsealed() -> Q:
    """Entries without a seal: NOT EXISTS, an anti-join on the seal's unique entry index."""
    return Q(~Exists(AuditSeal.objects.filter(entry=OuterRef("pk"))))


def chain_tips(chains: Iterable[int]) -> dict[int, Tip]:
    """Each chain's newest seal, one index lookup per chain (a chain without seals starts at EMPTY)."""
    tips = {}
    for chain in chains:
        newest = AuditSeal.objects.filter(chain=chain).order_by("-seq").values_list("seq", "mac").first()
        tips[chain] = Tip(*newest) if newest else auditchain.EMPTY
    return tips


def _sole_sealer() -> bool:
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [ADVISORY_LOCK])
        row = cursor.fetchone()
    return bool(row and row[0])


@dataclass
class Batch:
    ran: bool  # False: another sealer held the lock
    sealed: int = 0
    chains: set[int] = field(default_factory=set)
    last_id: int = 0


def seal_batch(floor: int, key: auditchain.SealKey, limit: int) -> Batch:
    """Seal up to `limit` unsealed entries with ids above `floor`, lowest id first, in one transaction."""
    with transaction.atomic():
        if not _sole_sealer():
            return Batch(ran=False)
        pending = list(
            AuditEntry.objects.filter(unsealed(), pk__gt=floor)
            .order_by("pk")
            .values("chain", *SEALED_COLUMNS)[:limit]
        )
        by_chain: dict[int, list[dict[str, object]]] = {}
        for entry in pending:
            by_chain.setdefault(int(entry.pop("chain")), []).append(entry)
        tips = chain_tips(by_chain)
        sealed_at = datetime.datetime.now(datetime.UTC)
        AuditSeal.objects.bulk_create(
            AuditSeal(
                entry_id=seal.entry_id,
                chain=seal.chain,
                seq=seal.seq,
                prev=seal.prev,
                mac=seal.mac,
                key_id=seal.key_id,
                sealed_at=sealed_at,
            )
            for chain, entries in by_chain.items()
            for seal in auditchain.seal_entries(chain, tips[chain], entries, key)
        )
    return Batch(
        ran=True, sealed=len(pending), chains=set(by_chain), last_id=pending[-1]["id"] if pending else 0
    )


@dataclass
class PassResult:
    sealed: int
    full_sweep: bool
    checkpoint: str = ""  # where a checkpoint was written, in words ("" when none was due)


class Sealer:
    """One sealer's memory between passes: its floor, the chains it knows, its last checkpoint."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, settle: float = SETTLE) -> None:
        self.clock = clock
        self.settle = settle
        self.key = auditkeys.seal_keys()[0]
        self.signing_key = auditkeys.signing_key()
        self.floor = 0
        self.seen: deque[tuple[float, int]] = deque()  # (when, highest id visible then), oldest first
        self.last_full_sweep: float | None = None
        self.chains: set[int] = set()
        self.checkpointed: dict[int, Tip] = {}
        self.last_checkpoint: float | None = None

    def run_once(
        self, *, full_sweep: bool = False, checkpoint_now: bool = False, force_checkpoint: bool = False
    ) -> PassResult:
        """Seal what waits; then checkpoint when due and changed (`checkpoint_now`: changed, due or not;
        `force_checkpoint`: in any case)."""
        now = self.clock()
        full = full_sweep or self.last_full_sweep is None or now - self.last_full_sweep >= FULL_SWEEP
        newest = AuditEntry.objects.aggregate(newest=Max("pk"))["newest"] or 0
        after, sealed, ran = (0 if full else self.floor), 0, True
        while True:
            batch = seal_batch(after, self.key, BATCH)
            ran, sealed, after = batch.ran, sealed + batch.sealed, batch.last_id
            self.chains |= batch.chains
            if not batch.ran or batch.sealed < BATCH:
                break
        if ran:
            self._remember(now, newest, full)
        checkpoint = self.checkpoint(now=checkpoint_now, force=force_checkpoint) if ran else ""
        return PassResult(sealed, full and ran, checkpoint)

    def _remember(self, now: float, newest: int, full: bool) -> None:
        if full:
            self.last_full_sweep = now
        self.seen.append((now, newest))
        while self.seen and self.seen[0][0] <= now - self.settle:
            self.floor = max(self.floor, self.seen.popleft()[1])

    def checkpoint(self, *, now: bool = False, force: bool = False) -> str:
        """Sign and export every chain's newest seal, when due and changed (see run_once); where it went."""
        clock = self.clock()
        due = (
            self.last_checkpoint is None or clock - self.last_checkpoint >= settings.AUDIT_CHECKPOINT_SECONDS
        )
        if not (force or now or due):
            return ""
        if not self.checkpointed:  # a fresh sealer: every organization's chain and the installation's
            self.chains |= {0, *Organization.objects.values_list("pk", flat=True)}
        tips = {chain: tip for chain, tip in chain_tips(sorted(self.chains)).items() if tip.seq}
        for chain, before in self.checkpointed.items():
            now_at = tips.get(chain, auditchain.EMPTY).seq
            if now_at < before.seq:
                logger.error(
                    "audit chain %s went back from seal %s to %s: seals were removed",
                    chain,
                    before.seq,
                    now_at,
                )
        if tips == self.checkpointed and not force:
            self.last_checkpoint = clock
            return ""
        at = datetime.datetime.now(datetime.UTC)
        signed = auditcheckpoint.sign(
            at.strftime("%Y-%m-%dT%H:%M:%SZ"), settings.AUDIT_INSTALLATION, tips, self.signing_key
        )
        places = auditexport.export(signed, at)
        self.checkpointed, self.last_checkpoint = tips, clock
        return ", ".join(places)
