"""The organization's critical values (危急值): every numeric indicator with the catalogue's limits and the
organization's own, set row by row (HTMX)."""

from itertools import groupby

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from careloop.accounts.authorization import require
from careloop.accounts.requests import StaffRequest
from careloop.accounts.roles import Perm
from careloop.observations import actions, catalogue, criticals
from careloop.observations.forms import CriticalLimitsForm
from careloop.observations.language import CATEGORY_LABELS, in_chinese
from careloop.observations.views.organization import user_organization_id


@login_required
def critical_limits(request: StaffRequest) -> HttpResponse:
    require(request.user, Perm.RECORD_VIEW)
    rows = criticals.limit_rows(user_organization_id(request.user))
    rows.sort(key=lambda row: list(CATEGORY_LABELS).index(row.indicator.category))
    groups = [
        (CATEGORY_LABELS[category], list(members))
        for category, members in groupby(rows, key=lambda row: row.indicator.category)
    ]
    own = sum(1 for row in rows if row.own is not None)
    context = {
        "groups": groups,
        "own_count": own,
        "zh": in_chinese(),
        "can_set": request.user.can(Perm.CRITICAL_LIMITS_SET),
    }
    return render(request, "observations/critical_limits.html", context)


@login_required
@require_POST
def critical_limit(request: StaffRequest, code: str) -> HttpResponse:
    """Set one indicator's limits; answers its row, with the reason if they were refused."""
    require(request.user, Perm.CRITICAL_LIMITS_SET)
    indicator = catalogue.by_code(code)
    if indicator is None or indicator.kind != "quantity":
        raise Http404
    organization_id = user_organization_id(request.user)
    form = CriticalLimitsForm(indicator, request.POST)
    saved = False
    if form.is_valid():
        actions.do_set_critical_limits(
            request.user, organization_id, indicator, form.cleaned_data["low"], form.cleaned_data["high"]
        )
        saved = True
    row = criticals.limit_row(organization_id, indicator)
    context = {"row": row, "form": form, "saved": saved, "zh": in_chinese(), "can_set": True}
    # 200 with the reason in the row: htmx swaps no 4xx answer in.
    return render(request, "observations/_critical_limit_row.html", context)
