"""The alert inbox and one alert's page, where staff acknowledge, assign and resolve it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.accounts.authorization import require
from careloop.accounts.requests import StaffRequest
from careloop.accounts.roles import Perm
from careloop.alerts.actions import AlertRefused, do_acknowledge, do_assign, do_resolve
from careloop.alerts.forms import AssignForm, InboxFilter, ResolveForm
from careloop.alerts.models import UNRESOLVED, Alert
from careloop.alerts.presenting import describe
from careloop.alerts.scoping import alert_for_user, alerts_for
from careloop.alerts.urgency import by_urgency
from careloop.patients.actions import record_list, record_view
from careloop.questionnaires.tab import reader_language

ALERTS_PER_PAGE = 50


@login_required
def inbox(request: StaffRequest) -> HttpResponse:
    require(request.user, Perm.ALERT_VIEW)
    filters = InboxFilter(request.GET)
    who, status = filters.chosen()
    alerts = alerts_for(request.user).select_related("patient", "assigned_to")
    if who == "mine":
        alerts = alerts.filter(assigned_to=request.user)
    if status == "unresolved":
        alerts = alerts.filter(status__in=UNRESOLVED)
    elif status != "any":
        alerts = alerts.filter(status=status)
    ordered = alerts.order_by("-resolved_at", "-pk") if status == "resolved" else by_urgency(alerts)
    page = Paginator(ordered, ALERTS_PER_PAGE).get_page(request.GET.get("page"))
    language = reader_language()
    rows = [(alert, describe(alert, language)) for alert in page]
    shown = sorted({alert.patient_id for alert, _words in rows if alert.patient_id is not None})
    record_list(request.user, shown, "alerts", [f"who={who}", f"status={status}"])
    query = f"who={who}&status={status}"
    context = {"filters": filters, "who": who, "status": status, "page": page, "rows": rows, "query": query}
    return render(request, "alerts/inbox.html", context)


@login_required
def alert_detail(request: StaffRequest, alert_id: int) -> HttpResponse:
    alert = alert_for_user(request.user, alert_id)
    assign = AssignForm(organization_id=alert.organization_id, initial={"assigned_to": alert.assigned_to_id})
    return _detail(request, alert, assign, ResolveForm())


def _detail(
    request: StaffRequest, alert: Alert, assign: AssignForm, resolve: ResolveForm, status: int = 200
) -> HttpResponse:
    if alert.patient is not None:
        record_view(request.user, alert.patient, "alert")
    context = {
        "alert": alert,
        "words": describe(alert, reader_language()),
        "assign_form": assign,
        "resolve_form": resolve,
    }
    return render(request, "alerts/detail.html", context, status=status)


@login_required
@require_POST
def acknowledge(request: StaffRequest, alert_id: int) -> HttpResponse:
    alert = alert_for_user(request.user, alert_id, Perm.ALERT_HANDLE)
    try:
        do_acknowledge(request.user, alert)
    except AlertRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("Acknowledged."))
    return redirect("alerts:detail", alert.pk)


@login_required
@require_POST
def assign(request: StaffRequest, alert_id: int) -> HttpResponse:
    alert = alert_for_user(request.user, alert_id, Perm.ALERT_HANDLE)
    form = AssignForm(request.POST, organization_id=alert.organization_id)
    if not form.is_valid():
        return _detail(request, alert, form, ResolveForm(), status=400)
    try:
        do_assign(request.user, alert, form.cleaned_data["assigned_to"])
    except AlertRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("Assigned to %(name)s.") % {"name": form.cleaned_data["assigned_to"]})
    return redirect("alerts:detail", alert.pk)


@login_required
@require_POST
def resolve(request: StaffRequest, alert_id: int) -> HttpResponse:
    alert = alert_for_user(request.user, alert_id, Perm.ALERT_HANDLE)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        return _detail(request, alert, AssignForm(organization_id=alert.organization_id), form, status=400)
    try:
        do_resolve(request.user, alert, form.cleaned_data["note"])
    except AlertRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("Resolved."))
    return redirect("alerts:detail", alert.pk)
