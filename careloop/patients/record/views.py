"""Add, edit and delete rows of any health-record section, and the ICD-10 suggestions.

One set of views for every section in `sections.SECTIONS`. Inside the patient page they answer HTMX
requests with the tab panel (#tab-panel); without JavaScript they fall back to a page and a redirect.
"""

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from careloop.accounts import audit
from careloop.accounts.authorization import require
from careloop.accounts.requests import StaffRequest
from careloop.accounts.roles import Perm
from careloop.patients import actions
from careloop.patients.models import Patient, RecordItem
from careloop.patients.patient_tabs import TABS, visible_tabs
from careloop.patients.record import icd10
from careloop.patients.record.sections import SECTIONS, Section
from careloop.patients.scoping import patient_for_user

SUGGESTIONS = 20


def _section(name: str) -> Section:
    section = SECTIONS.get(name)
    if section is None:
        raise Http404("No such section")
    return section


def _patient_for_editing(request: StaffRequest, patient_id: int, section: Section) -> Patient:
    patient = patient_for_user(request.user, patient_id, Perm.RECORD_VIEW)
    require(request.user, section.edit_permission)
    return patient


def _item(section: Section, patient: Patient, item_id: int) -> RecordItem:
    # get_object_or_404 types a union of model classes as their base Model; the row is a section.model
    return cast(RecordItem, get_object_or_404(section.model, pk=item_id, patient=patient))


def _tab_panel(request: StaffRequest, patient: Patient, section: Section, notice: str) -> HttpResponse:
    """The section's tab as it is now, shown after a change in place of the form."""
    actions.record_view(request.user, patient, section.name)
    tab = TABS[section.name]
    context = {"patient": patient, "tab": tab, "tabs": visible_tabs(request.user), "notice": notice}
    return render(request, tab.template, {**context, **tab.context(patient)})


def _done(request: StaffRequest, patient: Patient, section: Section, notice: str) -> HttpResponse:
    if request.htmx:
        return _tab_panel(request, patient, section, notice)
    messages.success(request, notice)
    return redirect("patients:tab", patient.pk, section.name)


def _edit(request: StaffRequest, patient: Patient, section: Section, item: RecordItem | None) -> HttpResponse:
    before = audit.snapshot(item, section.fields) if item is not None else None
    form = section.form(request.POST if request.method == "POST" else None, instance=item, patient=patient)
    if request.method == "POST" and form.is_valid():
        actions.do_save_record_item(request.user, patient, form.save(commit=False), before)
        return _done(request, patient, section, _("Saved."))
    # The form shows the patient and the row (a refused one shows them again): audited as a read.
    actions.record_view(request.user, patient, f"{section.name}.{'add' if item is None else 'edit'}")
    action = request.path
    context = {"patient": patient, "section": section, "form": form, "item": item, "action": action}
    if request.htmx:
        return render(request, "patients/record/_form.html", {**context, "inline": True})
    return render(request, "patients/record/form_page.html", context)


@login_required
def item_add(request: StaffRequest, patient_id: int, section: str) -> HttpResponse:
    current = _section(section)
    patient = _patient_for_editing(request, patient_id, current)
    # Lifestyle is one row per patient: "add" reassesses the row that is there.
    item = current.model._default_manager.filter(patient=patient).first() if current.single else None
    return _edit(request, patient, current, item)


@login_required
def item_edit(request: StaffRequest, patient_id: int, section: str, item_id: int) -> HttpResponse:
    current = _section(section)
    patient = _patient_for_editing(request, patient_id, current)
    item = _item(current, patient, item_id)
    return _edit(request, patient, current, item)


@login_required
@require_POST
def item_delete(request: StaffRequest, patient_id: int, section: str, item_id: int) -> HttpResponse:
    current = _section(section)
    patient = _patient_for_editing(request, patient_id, current)
    item = _item(current, patient, item_id)
    actions.do_delete_record_item(request.user, patient, item)
    return _done(request, patient, current, _("Deleted."))


@login_required
@require_GET
def icd10_suggest(request: StaffRequest, patient_id: int) -> HttpResponse:
    """<option> elements for the code box's <datalist>; the box sends its own name, or `q`."""
    patient_for_user(request.user, patient_id, Perm.RECORD_VIEW)
    query = request.GET.get("q") or request.GET.get("icd10_code") or ""
    language = get_language() or "zh-hans"
    options = [(entry.code, entry.name(language)) for entry in icd10.search(query[:40], limit=SUGGESTIONS)]
    return HttpResponse(render_to_string("patients/record/_icd10_options.html", {"options": options}))
