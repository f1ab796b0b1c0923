"""Checking the audit trail: every chain's seals against the keys, and against the signed checkpoints.

A chain is read in pages of seals (by seq) with their entries fetched by id, so memory stays flat however
long the chain. Entries without a seal are counted for all chains in one query; those older than the grace
period are a break of their own (written behind the sealer's back, or the sealer is not running).
"""

import datetime
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone

from careloop.accounts import auditchain, auditexport, auditkeys
from careloop.accounts.audit import SEALED_COLUMNS
from careloop.accounts.auditchain import Break, Link, Pin, SealKey
from careloop.accounts.auditcheckpoint import ChainPins, pins_by_chain
from careloop.accounts.auditexport import CheckpointSet
from careloop.accounts.auditseal import unsealed
from careloop.accounts.models import AuditEntry, AuditSeal

PAGE = 5000


@dataclass(frozen=True)
class Unsealed:
    count: int = 0
    overdue: int = 0
    oldest_overdue_id: int | None = None
    oldest_overdue_at: datetime.datetime | None = None


@dataclass(frozen=True)
class ChainReport:
    chain: int
    sealed: int  # seals that hold, from the first
    unsealed: Unsealed
    broken: Break | None
    checkpoint: Pin | None  # the highest seal a checkpoint recorded for this chain
    checkpoint_seq: int

    @property
    def entries(self) -> int:
        return self.sealed + self.unsealed.count

    @property
    def ok(self) -> bool:
        return self.broken is None


def links(chain: int) -> Iterator[Link]:
    after = 0
    while True:
        page = list(
            AuditSeal.objects.filter(chain=chain, seq__gt=after)
            .order_by("seq")
            .values_list("seq", "prev", "mac", "key_id", "entry_id")[:PAGE]
        )
        if not page:
            return
        entries = {
            row["id"]: row
            for row in AuditEntry.objects.filter(pk__in=[seal[4] for seal in page]).values(*SEALED_COLUMNS)
        }
        for seq, prev, mac, key_id, entry_id in page:
            yield Link(seq, prev, mac, key_id, entry_id, entries.get(entry_id))
        after = page[-1][0]


def unsealed_by_chain(
    now: datetime.datetime, grace: datetime.timedelta, chains: list[int] | None = None
) -> dict[int, Unsealed]:
    overdue = Q(at__lt=now - grace)
    entries = AuditEntry.objects.filter(unsealed())
    if chains is not None:
        entries = entries.filter(chain__in=chains)
    rows = (
        entries.values("chain")
        .annotate(
            count=Count("pk"),
            overdue=Count("pk", filter=overdue),
            oldest_id=Min("pk", filter=overdue),
            oldest_at=Min("at", filter=overdue),
        )
        .order_by()
    )
    return {
        row["chain"]: Unsealed(row["count"], row["overdue"], row["oldest_id"], row["oldest_at"])
        for row in rows
    }


def all_chains(pins: Mapping[int, ChainPins] | None = None) -> list[int]:
    """Every chain with entries or seals, and every chain a checkpoint recorded (removed ones included)."""
    chains = set(AuditEntry.objects.order_by().values_list("chain", flat=True).distinct())
    chains |= set(AuditSeal.objects.order_by().values_list("chain", flat=True).distinct())
    return sorted(chains | set(pins or {}))


def verify_chain(
    chain: int,
    keys: Mapping[str, SealKey],
    pinned: ChainPins | None,
    waiting: Unsealed,
    grace: datetime.timedelta,
) -> ChainReport:
    pinned = pinned or ChainPins()
    broken, tip = auditchain.verify(chain, links(chain), keys, pinned.pins)
    if broken is None and pinned.conflicts:
        broken = pinned.conflicts[0]
    if broken is None and waiting.overdue:
        oldest = waiting.oldest_overdue_at
        params: dict[str, str | int] = {
            "count": waiting.overdue,
            "minutes": int(grace.total_seconds() // 60),
            "entry_id": waiting.oldest_overdue_id or 0,
            "at": f"{oldest:%Y-%m-%d %H:%M:%S}" if oldest else "",
        }
        broken = Break(None, waiting.oldest_overdue_id, "overdue", params)
    highest = max(pinned.pins, default=0)
    return ChainReport(chain, tip.seq, waiting, broken, pinned.pins.get(highest), highest)


@dataclass
class Verification:
    checkpoints: CheckpointSet
    reports: list[ChainReport]

    @property
    def ok(self) -> bool:
        return not self.checkpoints.problems and all(report.ok for report in self.reports)


def verify(
    chains: list[int] | None = None,
    checkpoint_paths: list[Path] | None = None,
    grace_minutes: int | None = None,
) -> Verification:
    """Check the given chains (None: all, the ones checkpoints recorded included) against the checkpoints
    read from `checkpoint_paths` (None: the configured directory)."""
    paths = auditexport.default_sources() if checkpoint_paths is None else checkpoint_paths
    checkpoints = auditexport.read_checkpoints(paths)
    pins = pins_by_chain(checkpoints.checkpoints)
    keys = auditkeys.keys_by_id()
    grace = datetime.timedelta(
        minutes=settings.AUDIT_SEAL_GRACE_MINUTES if grace_minutes is None else grace_minutes
    )
    waiting = unsealed_by_chain(datetime.datetime.now(datetime.UTC), grace, chains)
    chains = all_chains(pins) if chains is None else chains
    reports = [verify_chain(c, keys, pins.get(c), waiting.get(c, Unsealed()), grace) for c in chains]
    return Verification(checkpoints, reports)


def local_text(utc: str) -> str:
    """A checkpoint's UTC time as the page shows times: local, to the second."""
    at = datetime.datetime.strptime(utc, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.UTC)
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S")


def report_for_page(report: ChainReport, checkpoints: CheckpointSet) -> dict[str, Any]:
    """What the audit page shows of one chain's check (stored as the background task's JSON result)."""
    newest = checkpoints.newest
    return {
        "ok": report.ok and not checkpoints.problems,
        "entries": report.entries,
        "unsealed": report.unsealed.count,
        "seq": report.broken.seq if report.broken else None,
        "entry_id": report.broken.entry_id if report.broken else None,
        "reason": report.broken.reason if report.broken else "",
        "kind": report.broken.kind if report.broken else "",
        "params": dict(report.broken.params) if report.broken else {},
        "checkpoint": {
            "configured": bool(checkpoints.sources),
            "count": len(checkpoints.checkpoints),
            "newest_at": local_text(newest.at) if newest else "",
            "covers": report.checkpoint_seq,
            "problems": [{"kind": p.kind, "params": dict(p.params)} for p in checkpoints.problems[:5]],
        },
    }
