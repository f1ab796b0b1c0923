"""Probable duplicates across the organization's registry (一人一档): pairs of records that are probably one
person, strongest first, each shown masked with why, to open and compare."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from careloop.accounts.authorization import require
from careloop.accounts.requests import StaffRequest
from careloop.accounts.roles import Perm
from careloop.patients import actions
from careloop.patients.duplicates import REASON_LABELS, probable_pairs
from careloop.patients.models import Patient

PAIRS_PER_PAGE = 50


@login_required
def duplicates_list(request: StaffRequest) -> HttpResponse:
    require(request.user, Perm.PATIENT_REGISTER)
    organization_id = request.user.organization_id
    assert organization_id is not None  # require() lets in only staff of an organization
    page = Paginator(probable_pairs(organization_id), PAIRS_PER_PAGE).get_page(request.GET.get("page"))
    ids = {pid for pair in page for pid in (pair.first_id, pair.second_id)}
    patients = Patient.objects.filter(organization_id=organization_id).in_bulk(ids)
    rows = [
        (patients[pair.first_id], patients[pair.second_id], [REASON_LABELS[r] for r in pair.reasons])
        for pair in page
    ]
    actions.record_list(request.user, sorted(ids), "duplicates", [])
    may_merge = request.user.can(Perm.PATIENT_MERGE)
    return render(request, "patients/duplicates.html", {"page": page, "rows": rows, "may_merge": may_merge})
