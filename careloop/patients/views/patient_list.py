"""The patient list and its search, which never puts what was typed into a URL.

A search is a POST (HTMX for the live results). Its criteria are kept in the session under an opaque
token (`searchtokens`), encrypted like a stored identifier; the answer and every link
after it carry only `?s=<token>&page=N`. So an ID or mobile number typed into the box reaches no access
log, no Referer and no browser history.
"""

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from careloop import searchtokens
from careloop.accounts.authorization import require
from careloop.accounts.requests import StaffRequest
from careloop.accounts.roles import Perm
from careloop.encryption import cipher
from careloop.patients import actions, search
from careloop.patients.forms import PatientSearchForm
from careloop.patients.scoping import patients_for


@login_required
def patient_list(request: StaffRequest) -> HttpResponse:
    require(request.user, Perm.PATIENT_VIEW)
    org_id = request.user.organization_id
    assert org_id is not None  # require() lets in only staff of an organization
    token, expired = "", False
    if request.method == "POST":
        form = PatientSearchForm(request.POST, organization_id=org_id)
        if form.is_valid():
            token = searchtokens.remember(
                request.session, searchtokens.criteria(form.data, form.fields), cipher()
            )
            if not request.htmx:
                return redirect(f"{reverse('patients:list')}?s={token}")
    else:
        token = request.GET.get("s", "")
        data = searchtokens.recall(request.session, token, cipher()) if token else None
        expired = bool(token) and data is None
        form = PatientSearchForm(data, organization_id=org_id)
    context = _results(request, form, token if not expired else "")
    context["expired"] = expired
    if request.htmx and request.htmx.target == "patient-results":
        response = render(request, "patients/_results.html", context)
        if request.method == "POST" and token:
            # The browser's address and history show the token, never the text that was posted.
            response["HX-Push-Url"] = f"{reverse('patients:list')}?s={token}"
        return response
    return render(request, "patients/list.html", context)


def _results(request: StaffRequest, form: PatientSearchForm, token: str) -> dict[str, Any]:
    """One page of the patients matching a (bound and valid) form, its read audited."""
    patients = patients_for(request.user)
    kind, filters, tag = "empty", [], None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        patients, kind = search.search(patients, data["q"] or "")
        if data["tag"]:
            tag = data["tag"]
            patients = patients.filter(patient_tags__tag=tag)
            filters.append("tag")
        if data["department"]:
            patients = patients.filter(department=data["department"])
            filters.append("department")
        if data["doctor"]:
            patients = patients.filter(responsible_doctor=data["doctor"])
            filters.append("doctor")
    page = Paginator(
        search.with_list_columns(patients.order_by("name_initials", "id")), settings.PATIENTS_PER_PAGE
    ).get_page(request.GET.get("page"))
    actions.record_list(request.user, [p.pk for p in page], kind, filters)
    query = f"s={token}" if token else ""
    return {"form": form, "page": page, "query": query, "search_kind": kind, "tag": tag}
