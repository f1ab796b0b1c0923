"""Writing and checking the audit trail. Every read or change of patient data calls `record`."""

import contextvars
import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from careloop.accounts import auditchain
from careloop.accounts.models import AuditChainHead, AuditEntry, User


@dataclass
class AuditContext:
    """Who is acting and from where; set per request by middleware, per run by commands."""

    actor: User | None = None
    actor_label: str = ""
    ip: str = ""
    request_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


_context: contextvars.ContextVar[AuditContext] = contextvars.ContextVar("audit_context")


def set_context(context: AuditContext) -> contextvars.Token[AuditContext]:
    return _context.set(context)


def reset_context(token: contextvars.Token[AuditContext]) -> None:
    _context.reset(token)


def current_context() -> AuditContext:
    return _context.get(AuditContext(actor_label="system"))


def _utc_text(at: datetime.datetime) -> str:
    return at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sealed_fields(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "at": _utc_text(entry.at),
        "organization_id": entry.organization_id,
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "actor_role": entry.actor_role,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "patient_id": entry.patient_id,
        "ip": entry.ip,
        "request_id": entry.request_id,
        "detail": entry.detail,
    }


def record(
    action: str,
    *,
    organization_id: int | None,
    obj: Any = None,
    patient_id: int | None = None,
    detail: dict[str, Any] | None = None,
    actor: User | None = None,
) -> AuditEntry:
    """Append one entry to the organization's chain, inside the caller's transaction if there is one."""
    context = current_context()
    actor = actor or context.actor
    chain = organization_id or 0
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().filter(chain=chain).first()
        if head is None:
            head, _ = AuditChainHead.objects.get_or_create(
                chain=chain, defaults={"seq": 0, "hash": auditchain.GENESIS}
            )
            head = AuditChainHead.objects.select_for_update().get(chain=chain)
        entry = AuditEntry(
            chain=chain,
            seq=head.seq + 1,
            at=datetime.datetime.now(datetime.UTC),
            organization_id=organization_id,
            actor=actor,
            actor_label=(actor.username if actor else context.actor_label)[:150],
            actor_role=actor.role if actor else "",
            action=action,
            object_type=type(obj).__name__ if obj is not None else "",
            object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
            patient_id=patient_id,
            ip=context.ip,
            request_id=context.request_id,
            detail={**context.extra, **(detail or {})},
            prev_hash=head.hash,
        )
        entry.hash = auditchain.entry_hash(head.hash, sealed_fields(entry))
        entry.save()
        AuditChainHead.objects.filter(chain=chain).update(seq=entry.seq, hash=entry.hash)
    return entry


def verify_chain(chain: int) -> auditchain.Break | None:
    head = AuditChainHead.objects.filter(chain=chain).first()
    entries = AuditEntry.objects.filter(chain=chain).order_by("seq")

    def rows() -> Iterator[dict[str, Any]]:
        for entry in entries.iterator(chunk_size=5000):
            yield {**sealed_fields(entry), "id": entry.id, "prev_hash": entry.prev_hash, "hash": entry.hash}

    return auditchain.verify(rows(), head.seq if head else 0, head.hash if head else auditchain.GENESIS)


def all_chains() -> list[int]:
    chains = set(AuditChainHead.objects.values_list("chain", flat=True))
    chains |= set(AuditEntry.objects.values_list("chain", flat=True).distinct())
    return sorted(chains)
