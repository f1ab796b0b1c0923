from typing import Any

from django.tasks import task

from careloop.accounts import auditverify


@task()
def verify_audit_chain(organization_id: int) -> dict[str, Any]:
    """Check one organization's audit chain against the keys and the checkpoints, for the audit page."""
    verification = auditverify.verify([organization_id])
    return auditverify.report_for_page(verification.reports[0], verification.checkpoints)
