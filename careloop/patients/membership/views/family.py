from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.accounts.requests import StaffRequest
from careloop.accounts.roles import Perm
from careloop.patients import actions as patient_actions
from careloop.patients import search
from careloop.patients.membership import actions
from careloop.patients.membership.forms import FamilyLinkForm
from careloop.patients.membership.views.panel import changed, refused, show_panel
from careloop.patients.models import FamilyLink
from careloop.patients.scoping import patient_for_user, patients_for

MATCHES_SHOWN = 8


@login_required
@require_POST
def find(request: StaffRequest, patient_id: int) -> HttpResponse:
    """Existing patients to link as family, found as the patient list finds them (name, pinyin, mobile).

    A POST: what was typed (a mobile number, say) stays out of URLs and access logs.
    """
    patient = patient_for_user(request.user, patient_id, Perm.FAMILY_MANAGE)
    text = request.POST.get("q", "").strip()[:60]
    matches = []
    if text:
        found, kind = search.search(patients_for(request.user).exclude(pk=patient.pk), text)
        matches = list(found.order_by("name_initials", "id")[:MATCHES_SHOWN])
        patient_actions.record_list(request.user, [m.pk for m in matches], kind, ["family_link"])
    return render(
        request, "patients/membership/_family_matches.html", {"matches": matches, "searched": bool(text)}
    )


@login_required
@require_POST
def add(request: StaffRequest, patient_id: int) -> HttpResponse:
    patient = patient_for_user(request.user, patient_id, Perm.FAMILY_MANAGE)
    form = FamilyLinkForm(request.POST, patient=patient)
    if form.is_valid():
        try:
            link = actions.do_add_family_link(request.user, patient, form.save(commit=False))
        except actions.Refused as refusal:
            form.add_error(refusal.field, refusal.message)
        else:
            notice = _("%(name)s added to the family list.") % {"name": link.related_name}
            return changed(request, patient, "family", notice)
    return refused(request, patient, "family", family_form=form)


@login_required
def edit(request: StaffRequest, patient_id: int, link_id: int) -> HttpResponse:
    patient = patient_for_user(request.user, patient_id, Perm.FAMILY_MANAGE)
    link = get_object_or_404(FamilyLink, patient=patient, pk=link_id)
    if request.method != "POST":
        form = FamilyLinkForm(instance=link, patient=patient)
        return show_panel(request, patient, "family", family_form=form, editing=link)
    form = FamilyLinkForm(request.POST, instance=link, patient=patient)
    if form.is_valid():
        data = form.cleaned_data
        changes = {name: data[name] for name in form.Meta.fields}
        try:
            actions.do_update_family_link(request.user, FamilyLink.objects.get(pk=link.pk), **changes)
        except actions.Refused as refusal:
            form.add_error(refusal.field, refusal.message)
        else:
            return changed(request, patient, "family", _("Saved."))
    return refused(request, patient, "family", family_form=form, editing=link)


@login_required
@require_POST
def toggle_act_for(request: StaffRequest, patient_id: int, link_id: int) -> HttpResponse:
    patient = patient_for_user(request.user, patient_id, Perm.FAMILY_MANAGE)
    link = get_object_or_404(FamilyLink, patient=patient, pk=link_id)
    link = actions.do_update_family_link(request.user, link, can_act_for=not link.can_act_for)
    if link.can_act_for:
        notice = _("%(name)s may now view and act for the patient.") % {"name": link.related_name}
    else:
        notice = _("%(name)s may no longer act for the patient.") % {"name": link.related_name}
    return changed(request, patient, "family", notice)


@login_required
@require_POST
def remove(request: StaffRequest, patient_id: int, link_id: int) -> HttpResponse:
    patient = patient_for_user(request.user, patient_id, Perm.FAMILY_MANAGE)
    link = get_object_or_404(FamilyLink, patient=patient, pk=link_id)
    name = link.related_name
    actions.do_remove_family_link(request.user, link)
    return changed(request, patient, "family", _("%(name)s removed from the family list.") % {"name": name})
