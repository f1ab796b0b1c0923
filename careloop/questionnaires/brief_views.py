"""The doctor's pre-visit brief of one patient, read only: require, assemble (`brief.py`), audit, render."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from careloop.accounts.requests import StaffRequest
from careloop.accounts.roles import Perm
from careloop.patients.actions import record_view
from careloop.patients.scoping import patient_for_user
from careloop.questionnaires.brief import DEFAULT_WINDOW, previsit_brief
from careloop.questionnaires.tab import reader_language


@login_required
@require_GET
def brief(request: StaffRequest, patient_id: int) -> HttpResponse:
    patient = patient_for_user(request.user, patient_id, Perm.RECORD_VIEW)
    summary = previsit_brief(patient, reader_language())
    record_view(request.user, patient, "questionnaires.brief")
    context = {"patient": patient, "brief": summary, "window_days": DEFAULT_WINDOW.days}
    return render(request, "questionnaires/brief.html", context)
