from typing import Any

from django.tasks import task

from careloop.accounts import audit
from careloop.accounts.models import AuditEntry


@task()
def verify_audit_chain(organization_id: int) -> dict[str, Any]:
    """Re-hash one organization's audit chain; the result says whether it is whole or where it breaks."""
    broken = audit.verify_chain(organization_id)
    count = AuditEntry.objects.filter(chain=organization_id).count()
    if broken is None:
        return {"ok": True, "entries": count}
    return {
        "ok": False,
        "entries": count,
        "seq": broken.seq,
        "entry_id": broken.entry_id,
        "reason": broken.reason,
    }
