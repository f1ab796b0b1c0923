"""How a tab action answers: HTMX gets the refreshed tab panel; a plain POST is redirected back to the tab
after a change, or shown the tab on a page of its own when its form has errors (so nothing typed is lost).
"""

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from careloop.accounts.requests import StaffRequest
from careloop.patients.actions import record_view
from careloop.patients.models import Patient
from careloop.patients.patient_tabs import TABS


def show_panel(
    request: StaffRequest,
    patient: Patient,
    tab_name: str,
    notice: str = "",
    status: int = 200,
    **overrides: Any,
) -> HttpResponse:
    """The tab with some of its context replaced, e.g. a bound form with its errors.

    Every answer that shows the tab shows the patient: each is audited as a read of it.
    """
    tab = TABS[tab_name]
    record_view(request.user, patient, tab_name)
    context = {"patient": patient, "tab": tab, **tab.context(patient), **overrides, "notice": notice}
    if request.htmx:
        # htmx swaps only 2xx answers, so a form with errors comes back as 200 with the errors in it.
        return render(request, tab.template, context)
    return render(request, "patients/membership/page.html", context, status=status)


def changed(request: StaffRequest, patient: Patient, tab_name: str, notice: str) -> HttpResponse:
    """After a successful change."""
    if request.htmx:
        return show_panel(request, patient, tab_name, notice)
    messages.success(request, notice)
    return redirect("patients:tab", patient.pk, tab_name)


def refused(request: StaffRequest, patient: Patient, tab_name: str, **overrides: Any) -> HttpResponse:
    """After a form with errors: they are shown next to the fields, with everything typed kept."""
    return show_panel(request, patient, tab_name, status=400, **overrides)
