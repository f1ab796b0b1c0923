import datetime

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from careloop.accounts.forms import AuditFilterForm
from careloop.accounts.models import AuditEntry
from careloop.accounts.requests import StaffRequest
from careloop.accounts.roles import Perm
from careloop.accounts.tasks import verify_audit_chain
from careloop.patients.scoping import require


@login_required
def audit_list_view(request: StaffRequest) -> HttpResponse:
    require(request.user, Perm.AUDIT_VIEW)
    org_id = request.user.organization_id
    assert org_id is not None  # require() lets in only staff of an organization
    form = AuditFilterForm(request.GET or None, organization_id=org_id)
    entries = AuditEntry.objects.filter(organization_id=org_id).select_related("actor")
    if form.is_valid():
        data = form.cleaned_data
        if data["patient"]:
            entries = entries.filter(patient_id=data["patient"])
        if data["user"]:
            entries = entries.filter(actor=data["user"])
        if data["action"]:
            entries = entries.filter(action__startswith=data["action"])
        tz = timezone.get_current_timezone()
        if data["since"]:
            entries = entries.filter(at__gte=datetime.datetime.combine(data["since"], datetime.time.min, tz))
        if data["until"]:
            entries = entries.filter(
                at__lt=datetime.datetime.combine(data["until"], datetime.time.min, tz)
                + datetime.timedelta(days=1)
            )
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    check = None
    task_id = request.session.get("careloop_audit_check")
    if task_id:
        try:
            check = verify_audit_chain.get_result(task_id)
        except Exception:  # the result row was purged; forget it
            request.session.pop("careloop_audit_check", None)
    template = (
        "accounts/_audit_check.html"
        if request.htmx and request.GET.get("check")
        else "accounts/audit_list.html"
    )
    return render(request, template, {"form": form, "page": page, "query": query.urlencode(), "check": check})


@login_required
@require_POST
def audit_verify_view(request: StaffRequest) -> HttpResponse:
    require(request.user, Perm.AUDIT_VIEW)
    org_id = request.user.organization_id
    assert org_id is not None  # require() lets in only staff of an organization
    result = verify_audit_chain.enqueue(org_id)
    request.session["careloop_audit_check"] = result.id
    return redirect("accounts:audit")
