"""The unmatched queue: results that named no known patient, waiting to be filed under one by hand."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.accounts import audit
from careloop.accounts.authorization import require
from careloop.accounts.requests import StaffRequest
from careloop.accounts.roles import Perm
from careloop.observations import actions
from careloop.observations.forms import MatchForm
from careloop.observations.models import UnmatchedResult
from careloop.observations.views.organization import user_organization_id
from careloop.patients import actions as patient_actions
from careloop.patients import search
from careloop.patients.choices import SEX
from careloop.patients.duplicates import Candidate, probable_duplicates
from careloop.patients.forms import PatientForm
from careloop.patients.identity import fill_derived_fields
from careloop.patients.models import Patient
from careloop.patients.scoping import patient_for_user, patients_for


@login_required
def unmatched_list(request: StaffRequest) -> HttpResponse:
    require(request.user, Perm.RESULTS_MATCH)
    items = UnmatchedResult.waiting(user_organization_id(request.user))
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    # Names and (masked) identifiers of people are shown here: reading them is audited like a patient list.
    audit.record(
        "unmatched.list",
        organization_id=user_organization_id(request.user),
        detail={"items": [i.pk for i in page]},
    )
    can_register = request.user.can(Perm.PATIENT_REGISTER)
    return render(request, "observations/unmatched.html", {"page": page, "can_register": can_register})


@login_required
@require_POST
def unmatched_match(request: StaffRequest, item_id: int) -> HttpResponseBase:
    require(request.user, Perm.RESULTS_MATCH)
    item = get_object_or_404(
        UnmatchedResult,
        organization_id=user_organization_id(request.user),
        resolved_at__isnull=True,
        pk=item_id,
    )
    form = MatchForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the patient these results belong to."))
        return redirect("observations:unmatched")
    patient = patient_for_user(request.user, form.cleaned_data["patient"], Perm.RESULTS_MATCH)
    count = actions.do_match_unmatched(request.user, item, patient)
    messages.success(
        request, _("%(count)s results filed under %(name)s.") % {"count": count, "name": patient.name}
    )
    return redirect("observations:unmatched")


@login_required
def unmatched_candidates(request: StaffRequest, item_id: int) -> HttpResponse:
    """Patients this parked result may belong to.

    The search results (posted: what is typed stays out of URLs and logs), or without a search, the probable
    duplicates of the person sent, saying why (patients/duplicates.py), then people with the same name or
    birth date.
    """
    require(request.user, Perm.RESULTS_MATCH)
    item = get_object_or_404(UnmatchedResult, organization_id=user_organization_id(request.user), pk=item_id)
    patients = patients_for(request.user)
    text = request.POST.get("q", "").strip() if request.method == "POST" else ""
    if text:
        patients, _kind = search.search(patients, text)
    else:
        same = Q(name=item.patient_name) if item.patient_name else Q(pk__in=[])
        if item.patient_birth_date:
            same |= Q(birth_date=item.patient_birth_date)
        patients = patients.filter(same)
    probable = [] if text else _probable_duplicates(item)
    shown = {candidate.patient.pk for candidate in probable}
    others = [p for p in patients.order_by("name_initials", "id")[:10] if p.pk not in shown]
    candidates = [(c.patient, c.reasons) for c in probable] + [(p, []) for p in others]
    candidates = candidates[:10]
    patient_actions.record_list(request.user, [p.pk for p, _why in candidates], "unmatched_candidates", [])
    return render(request, "observations/_candidates.html", {"item": item, "candidates": candidates})


SEXES = {value for value, _label in SEX}


def _probable_duplicates(item: UnmatchedResult) -> list[Candidate]:
    """The registered patients who are probably the person `item` names, with why."""
    if not item.patient_name or item.patient_birth_date is None:
        return []
    sent = Patient(
        name=item.patient_name,
        sex=item.patient_sex,
        birth_date=item.patient_birth_date,
        mobile=item.patient_mobile,
    )
    fill_derived_fields(sent)
    return probable_duplicates(item.organization_id, sent)


@login_required
def unmatched_register(request: StaffRequest, item_id: int) -> HttpResponse:
    """The registration form filled from what a parked record says of its person; saving it registers the
    patient (patients:register), and what waited for the person's ID number is filed then."""
    require(request.user, Perm.RESULTS_MATCH)
    require(request.user, Perm.PATIENT_REGISTER)
    organization_id = user_organization_id(request.user)
    item = get_object_or_404(
        UnmatchedResult, organization_id=organization_id, resolved_at__isnull=True, pk=item_id
    )
    sent = {
        "name": item.patient_name,
        "sex": item.patient_sex if item.patient_sex in SEXES else "",
        "birth_date": item.patient_birth_date,
    }
    # The ID number the source sent is shown in clear only to those who may see ID numbers; a read of a
    # person's identifier either way.
    revealed = request.user.can(Perm.REVEAL_ID_NUMBER)
    if revealed:
        sent["id_number"] = item.patient_id_number
    if item.kind == "patient":  # a person record: the feed's address, and its mobile to those who see mobiles
        sent["address"] = str(item.record.get("address") or "")
        if request.user.can(Perm.REVEAL_MOBILE):
            sent["mobile"] = item.patient_mobile
    form = PatientForm(initial={k: v for k, v in sent.items() if v}, organization_id=organization_id)
    audit.record(
        "unmatched.register", organization_id=organization_id, obj=item, detail={"revealed": revealed}
    )
    context = {"form": form, "creating": True, "form_action": reverse("patients:register"), "sent_by": item}
    return render(request, "patients/form.html", context)


@login_required
@require_POST
def unmatched_reject(request: StaffRequest, item_id: int) -> HttpResponseBase:
    """A person a feed proposed is not to be registered: the proposal is closed (their results wait on)."""
    require(request.user, Perm.RESULTS_MATCH)
    item = get_object_or_404(
        UnmatchedResult,
        organization_id=user_organization_id(request.user),
        resolved_at__isnull=True,
        kind="patient",
        pk=item_id,
    )
    actions.do_reject_registration(request.user, item)
    messages.success(request, _("The registration of %(name)s was rejected.") % {"name": item.patient_name})
    return redirect("observations:unmatched")
