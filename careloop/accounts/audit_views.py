"""The audit page: who did what to which patient, when and from where, in words; and the chain check."""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.tasks import TaskResult
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop import searchtokens
from careloop.accounts import audit_labels
from careloop.accounts.audit_forms import AuditFilterForm
from careloop.accounts.audit_patients import audit_patients
from careloop.accounts.authorization import require
from careloop.accounts.models import AuditEntry, User
from careloop.accounts.requests import StaffRequest
from careloop.accounts.roles import Perm
from careloop.accounts.tasks import verify_audit_chain
from careloop.encryption import cipher

PER_PAGE = 50
CHECK_KEY = "careloop_audit_check"
FILTERS_KEY = "audit_filters"


@dataclass(frozen=True)
class AuditRow:
    entry: AuditEntry
    who: str
    role: str
    what: str
    patient_name: str


def _who(entry: AuditEntry) -> str:
    if entry.actor is not None:
        return str(entry.actor)
    return {"anonymous": _("Someone not signed in"), "system": _("CareLoop itself")}.get(
        entry.actor_label, entry.actor_label
    )


def audit_rows(entries: list[AuditEntry], organization_id: int) -> list[AuditRow]:
    """The page's rows in words; the patients' names in one query, from this organization only."""
    roles = {str(value): str(text) for value, text in User._meta.get_field("role").choices or []}
    ids = {entry.patient_id for entry in entries if entry.patient_id is not None}
    names = audit_patients().names(organization_id, ids)
    return [
        AuditRow(
            entry=entry,
            who=_who(entry),
            role=roles.get(entry.actor_role, entry.actor_role),
            what=audit_labels.label(entry.action),
            patient_name=names.get(entry.patient_id, "") if entry.patient_id is not None else "",
        )
        for entry in entries
    ]


def check_words(check: "TaskResult[Any, Any] | None") -> dict[str, object]:
    """The finished check's break and refused checkpoints in the reader's language."""
    if check is None or not check.is_finished or not isinstance(check.return_value, dict):
        return {}
    result = check.return_value
    problems = result.get("checkpoint", {}).get("problems", [])
    return {
        "check_reason": audit_labels.break_words(
            result.get("kind", ""), result.get("params", {}), result["reason"]
        ),
        "check_problems": [audit_labels.checkpoint_problem_words(p["kind"], p["params"]) for p in problems],
    }


@login_required
def audit_list_view(request: StaffRequest) -> HttpResponse:
    require(request.user, Perm.AUDIT_VIEW)
    org_id = request.user.organization_id
    assert org_id is not None  # require() lets in only staff of an organization
    check = None
    task_id = request.session.get(CHECK_KEY)
    if task_id:
        try:
            check = verify_audit_chain.get_result(task_id)
        except Exception:  # the result row was purged; forget it
            request.session.pop(CHECK_KEY, None)
    words = check_words(check)
    if request.htmx and request.GET.get("check"):
        return render(request, "accounts/_audit_check.html", {"check": check, **words})
    token, expired = "", False
    if request.method == "POST":
        form = AuditFilterForm(request.POST, user=request.user)
        if form.is_valid():
            criteria = searchtokens.criteria(form.data, form.fields)
            token = searchtokens.remember(request.session, criteria, cipher(), key=FILTERS_KEY)
            return redirect(f"{reverse('accounts:audit')}?s={token}")
    else:
        token = request.GET.get("s", "")
        data = searchtokens.recall(request.session, token, cipher(), key=FILTERS_KEY) if token else None
        expired = bool(token) and data is None
        form = AuditFilterForm(data, user=request.user)
    entries = form.filter(AuditEntry.objects.filter(organization_id=org_id).select_related("actor"))
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/audit_list.html",
        {
            "form": form,
            "page": page,
            "rows": audit_rows(list(page.object_list), org_id),
            "query": f"s={token}" if token and not expired else "",
            "expired": expired,
            "check": check,
            **words,
        },
    )


@login_required
@require_POST
def audit_verify_view(request: StaffRequest) -> HttpResponse:
    require(request.user, Perm.AUDIT_VIEW)
    org_id = request.user.organization_id
    assert org_id is not None  # require() lets in only staff of an organization
    result = verify_audit_chain.enqueue(org_id)
    request.session[CHECK_KEY] = result.id
    token = request.GET.get("s", "")  # back to the same filters, if they are still kept
    kept = searchtokens.recall(request.session, token, cipher(), key=FILTERS_KEY) if token else None
    return redirect(reverse("accounts:audit") + (f"?s={token}" if kept is not None else ""))
