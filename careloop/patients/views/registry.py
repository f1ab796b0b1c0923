from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from careloop.accounts import audit
from careloop.accounts.authorization import require
from careloop.accounts.requests import StaffRequest
from careloop.accounts.roles import Perm
from careloop.encryption import shown
from careloop.fieldcrypto import Undecryptable
from careloop.patients import actions, tag_actions
from careloop.patients.duplicates import probable_duplicates
from careloop.patients.forms import PatientForm
from careloop.patients.identity import fill_derived_fields
from careloop.patients.masking import dial_string
from careloop.patients.models import Patient, Tag
from careloop.patients.patient_tabs import TABS, visible_tabs
from careloop.patients.scoping import patient_for_user, surviving_record

EDITABLE = list(PatientForm.Meta.fields)


@login_required
def patient_register(request: StaffRequest) -> HttpResponse:
    require(request.user, Perm.PATIENT_REGISTER)
    org_id = request.user.organization_id
    assert org_id is not None  # require() lets in only staff of an organization
    form = PatientForm(request.POST or None, organization_id=org_id)
    # The waiting record the form was filled from (observations' unmatched queue), carried through.
    sent_by = int(request.POST["sent_by"]) if request.POST.get("sent_by", "").isdigit() else None
    if request.method == "POST" and form.is_valid():
        new = form.save(commit=False)
        fill_derived_fields(new)
        candidates = probable_duplicates(org_id, new)
        if candidates and not request.POST.get("not_a_duplicate"):
            # Shown masked, and audited as any list of patients.
            actions.record_list(request.user, [c.patient.pk for c in candidates], "registration", [])
            context = {"form": form, "creating": True, "candidates": candidates, "sent_by_id": sent_by}
            return render(request, "patients/form.html", context)
        patient, filed = actions.do_register_patient(request.user, new, sent_by)
        messages.success(request, _("Registered %(name)s.") % {"name": patient.name})
        if filed:
            waited = ngettext(
                "%(count)s result that waited for this person was filed.",
                "%(count)s results that waited for this person were filed.",
                filed,
            )
            messages.info(request, waited % {"count": filed})
        return redirect("patients:detail", patient.pk)
    return render(request, "patients/form.html", {"form": form, "creating": True})


@login_required
def patient_edit(request: StaffRequest, patient_id: int) -> HttpResponse:
    patient = patient_for_user(request.user, patient_id, Perm.PATIENT_EDIT)
    before = audit.snapshot(patient, EDITABLE)
    form = PatientForm(request.POST or None, instance=patient, organization_id=patient.organization_id)
    if request.method == "POST" and form.is_valid():
        actions.do_update_patient(request.user, form.save(commit=False), before)
        messages.success(request, _("Saved."))
        return redirect("patients:detail", patient.pk)
    # The form shows the patient (and a refused one shows it again): a read like the patient page.
    actions.record_view(request.user, patient, "edit")
    return render(request, "patients/form.html", {"form": form, "patient": patient, "creating": False})


@login_required
def patient_detail(request: StaffRequest, patient_id: int, tab: str = "summary") -> HttpResponse:
    try:
        patient = patient_for_user(request.user, patient_id)
    except Http404:
        # A merged record is a redirect: old links, bookmarks and audit entries still lead to the person.
        survivor = surviving_record(request.user, patient_id)
        if survivor is None:
            raise
        messages.info(request, _("This record was merged into %(name)s's record.") % {"name": survivor.name})
        return redirect("patients:detail", survivor.pk)
    current = TABS.get(tab)
    if current is None:
        raise Http404("No such tab")
    require(request.user, current.permission)
    actions.record_view(request.user, patient, tab)
    context = {
        "patient": patient,
        "tab": current,
        "tabs": visible_tabs(request.user),
        **current.context(patient),
    }
    if request.htmx and request.htmx.target == "tab-panel":
        return render(request, current.template, context)
    return render(request, "patients/detail.html", context)


REVEALABLE = {"id_number": Perm.REVEAL_ID_NUMBER, "mobile": Perm.REVEAL_MOBILE}


@login_required
@require_POST
def patient_reveal(request: StaffRequest, patient_id: int, field: str) -> HttpResponse:
    if field not in REVEALABLE:
        raise Http404("No such field")
    patient = patient_for_user(request.user, patient_id, REVEALABLE[field])
    # Every reveal is its own audit entry, so a replayed POST is as visible in the trail as a click: no
    # per-page-view token. The swap replaces the button, so one view of the page reveals once.
    actions.record_reveal(request.user, patient, field)
    stored = getattr(patient, field)
    value = shown(stored, lambda plain: plain)
    dial = dial_string(stored) if field == "mobile" and not isinstance(stored, Undecryptable) else ""
    if dial:
        return HttpResponse(
            format_html('<a class="revealed" id="mobile-tel" href="tel:{}">{}</a>', dial, value)
        )
    return HttpResponse(format_html('<span class="revealed">{}</span>', value))


@login_required
@require_POST
def patient_tag(request: StaffRequest, patient_id: int) -> HttpResponse:
    patient = patient_for_user(request.user, patient_id, Perm.TAG_MANAGE)
    name = request.POST.get("name", "").strip()[:40]
    tag = Tag.objects.filter(organization_id=patient.organization_id, pk=request.POST.get("tag") or 0).first()
    if tag is None and name:
        tag = tag_actions.tag_named(request.user, patient.organization_id, name)
    if tag is not None:
        actions.do_tag_patient(request.user, patient, tag)
    return redirect("patients:detail", patient.pk)


@login_required
@require_POST
def patient_untag(request: StaffRequest, patient_id: int, tag_id: int) -> HttpResponse:
    patient = patient_for_user(request.user, patient_id, Perm.TAG_MANAGE)
    tag = get_object_or_404(Tag, organization_id=patient.organization_id, pk=tag_id)
    actions.do_untag_patient(request.user, patient, tag)
    return redirect("patients:detail", patient.pk)


__all__ = ["Patient"]
