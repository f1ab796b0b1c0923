"""Writing the audit trail. Every read or change of patient data calls `record`.

`record` is one plain INSERT: no row is locked and nothing is read first, so page views never wait on each
other. The sealer (`auditseal.py`, run by `careloop worker`) chains the entries behind it.
"""

import contextvars
import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from careloop.accounts import auditchain
from careloop.accounts.models import AuditEntry, User

# The entry columns a seal covers: the ORM names them as the chain does.
SEALED_COLUMNS = auditchain.SEALED_FIELDS


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


def record(
    action: str,
    *,
    organization_id: int | None,
    obj: Any = None,
    patient_id: int | None = None,
    detail: dict[str, Any] | None = None,
    actor: User | None = None,
) -> AuditEntry:
    """Append one entry for the organization (None: installation-wide), inside the caller's transaction
    if there is one, so the entry commits or rolls back with the change it records."""
    context = current_context()
    actor = actor or context.actor
    entry = AuditEntry(
        chain=organization_id or 0,
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
    )
    entry.save(force_insert=True)
    return entry


def snapshot(instance: object, fields: Iterable[str]) -> dict[str, Any]:
    """The fields as they are now: taken before a form changes the instance, then given to `changes`."""
    return {name: getattr(instance, name) for name in fields}


def changes(before: Mapping[str, Any], after: object) -> dict[str, list[Any]]:
    """The fields of `before` whose value `after` no longer has, as [old, new]: what an update records."""
    return {name: [old, getattr(after, name)] for name, old in before.items() if old != getattr(after, name)}
