"""The Trends tab's chart endpoint: the chart area of another indicator, swapped in by HTMX; it audits its
own read (the tab itself is rendered and audited by the patient page)."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse

from careloop.accounts.requests import StaffRequest
from careloop.accounts.roles import Perm
from careloop.observations import catalogue
from careloop.observations.trends import series
from careloop.observations.trends.tab import chart_context, patient_rows
from careloop.patients.actions import record_view
from careloop.patients.scoping import patient_for_user


@login_required
def trend_chart(request: StaffRequest, patient_id: int) -> HttpResponseBase:
    """The chart area for `?indicator=CODE` (HTMX swap from the picker)."""
    patient = patient_for_user(request.user, patient_id, Perm.RECORD_VIEW)
    code = request.GET.get("indicator", "")
    indicator = catalogue.by_code(code)
    if not request.htmx:
        query = f"?indicator={indicator.code}" if indicator is not None else ""
        return redirect(reverse("patients:tab", args=[patient.pk, "trends"]) + query)
    record_view(request.user, patient, "trends")
    context: dict[str, Any] = {"patient": patient, "missing_code": code}
    if indicator is None:
        return render(request, "observations/trends_chart.html", context)
    rows = patient_rows(patient, (indicator.code, *indicator.alias_codes))
    grouped = series.group_rows(rows, catalogue.by_code)
    if indicator in grouped:
        context.update(chart_context(patient, indicator, grouped[indicator]))
    return render(request, "observations/trends_chart.html", context)
