"""Enrol a patient by hand (with the dry run first), end a plan, correct its anchor date (with a preview
of the moved tasks). The forms live on the patient's Follow-up tab; each change is one `do_*` of
actions.py, audited there, and comes back to the tab."""

import datetime
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.accounts.authorization import require
from careloop.accounts.models import User
from careloop.accounts.requests import StaffRequest
from careloop.accounts.roles import Perm
from careloop.followup.actions import (
    OPEN_STATUSES,
    EnrolmentRefused,
    do_end_enrolment,
    do_enrol,
    do_move_anchor,
    dry_run,
    made_through,
)
from careloop.followup.choices import CHANNELS
from careloop.followup.enrolment_forms import AnchorForm, EndForm, EnrolForm
from careloop.followup.models import Enrolment, Protocol, Task
from careloop.followup.planning import PlannedTask, planned
from careloop.followup.schedule import rescheduled
from careloop.followup.wording import step_label
from careloop.patients.scoping import patient_for_user

LATER_SHOWN = 12  # the later tasks a preview lists: the sweep makes them as they come within reach


def _tab(patient_id: int) -> HttpResponse:
    return redirect("patients:tab", patient_id, "followup")


def refusal_message(refused: EnrolmentRefused) -> tuple[str, str]:
    """A refusal's code (for the page's data-refusal) and its message in the reader's language."""
    text = str(refused)
    if "already enrolled" in text:
        return "already_enrolled", _("This patient is already in this protocol: end that plan first.")
    if "not in use" in text:
        return "protocol_off", _("This protocol is switched off: it enrols no one.")
    if "another organization" in text:
        return "other_organization", _("This protocol belongs to another organization.")
    if "has ended" in text:
        return "ended", _("This plan has ended: its dates can no longer change.")
    return "refused", text


def _enrolment_for(user: User, enrolment_id: int) -> Enrolment:
    """The user's organization's enrolment, of a patient still on file: 404 otherwise."""
    if user.organization_id is None:
        raise Http404("No such enrolment")
    enrolment = (
        Enrolment.objects.select_related("protocol", "patient")
        .filter(pk=enrolment_id, organization_id=user.organization_id, patient__merged_into__isnull=True)
        .first()
    )
    if enrolment is None:
        raise Http404("No such enrolment")
    require(user, Perm.FOLLOWUP_ASSIGN)
    return enrolment


@dataclass(frozen=True)
class PreviewRow:
    label: str
    channel: str
    task: PlannedTask


def _rows(protocol: Protocol, tasks: list[PlannedTask]) -> list[PreviewRow]:
    channels = dict(CHANNELS)
    return [
        PreviewRow(step_label(protocol, task.step, task.number), str(channels.get(task.channel, "")), task)
        for task in tasks
    ]


@login_required
@require_POST
def enrol_preview(request: StaffRequest, patient_id: int) -> HttpResponse:
    """The dry run: exactly the tasks enrolling now would make, and the first later ones."""
    patient = patient_for_user(request.user, patient_id, Perm.FOLLOWUP_ASSIGN)
    form = EnrolForm(request.POST, organization_id=patient.organization_id)
    if not form.is_valid():
        return render(request, "followup/_enrol_preview.html", {"form": form}, status=400)
    protocol, anchor = form.cleaned_data["protocol"], form.cleaned_data["anchor"]
    today = timezone.localdate()
    through = made_through(patient.organization_id, today)
    now = dry_run(protocol, anchor, through, today=today)
    later = planned(protocol.parsed, anchor, until=anchor + datetime.timedelta(days=3 * 366))
    later = [task for task in later if task.due > through][:LATER_SHOWN]
    already = patient.enrolments.filter(protocol__key=protocol.key, status__in=OPEN_STATUSES).exists()
    context = {
        "form": form,
        "protocol": protocol,
        "anchor": anchor,
        "through": through,
        "now": _rows(protocol, now),
        "later": _rows(protocol, later),
        "already": already,
    }
    return render(request, "followup/_enrol_preview.html", context)


@login_required
@require_POST
def enrol(request: StaffRequest, patient_id: int) -> HttpResponse:
    patient = patient_for_user(request.user, patient_id, Perm.FOLLOWUP_ASSIGN)
    form = EnrolForm(request.POST, organization_id=patient.organization_id)
    if not form.is_valid():
        messages.error(request, _("Choose a protocol in use and an anchor date within a year of today."))
        return _tab(patient.pk)
    protocol = form.cleaned_data["protocol"]
    try:
        enrolment = do_enrol(request.user, patient, protocol, form.cleaned_data["anchor"], {"kind": "manual"})
    except EnrolmentRefused as refused:
        messages.error(request, refusal_message(refused)[1])
        return _tab(patient.pk)
    made = enrolment.tasks.count()
    messages.success(
        request,
        _("Enrolled in %(protocol)s: %(count)s tasks made.") % {"protocol": protocol.name, "count": made},
    )
    return _tab(patient.pk)


@login_required
@require_POST
def enrolment_end(request: StaffRequest, enrolment_id: int) -> HttpResponse:
    enrolment = _enrolment_for(request.user, enrolment_id)
    form = EndForm(request.POST, prefix=f"end-{enrolment.pk}")
    if not form.is_valid():
        messages.error(request, _("Choose why the plan ends."))
    else:
        do_end_enrolment(request.user, enrolment, form.cleaned_data["reason"])
        messages.success(request, _("The plan has ended; its open tasks are cancelled."))
    return _tab(enrolment.patient_id)


@dataclass(frozen=True)
class MovedRow:
    label: str
    task: Task
    due: datetime.date
    opens: datetime.date
    closes: datetime.date


@login_required
@require_POST
def anchor_preview(request: StaffRequest, enrolment_id: int) -> HttpResponse:
    """The pending tasks as they would fall from the new anchor, and the tasks it would make now: what
    do_move_anchor does, computed without writing."""
    enrolment = _enrolment_for(request.user, enrolment_id)
    form = AnchorForm(request.POST, prefix=f"anchor-{enrolment.pk}")
    if not form.is_valid():
        return render(request, "followup/_anchor_preview.html", {"form": form}, status=400)
    anchor = form.cleaned_data["anchor"]
    protocol = enrolment.protocol
    pending = list(Task.objects.filter(enrolment=enrolment, status="pending").order_by("due", "id"))
    moved = rescheduled(anchor, protocol.parsed.schedule, [(task.step, task.number) for task in pending])
    rows = []
    for task in pending:
        found = moved.get((task.step, task.number))
        if found is not None:
            label = step_label(protocol, task.step, task.number)
            rows.append(MovedRow(label, task, found.due, found.opens, found.closes))
    today = timezone.localdate()
    existing = set(Task.objects.filter(enrolment=enrolment).values_list("step", "number"))
    through = made_through(enrolment.organization_id, today)
    new = [
        task
        for task in planned(protocol.parsed, anchor, until=through, closing_from=today)
        if (task.step, task.number) not in existing
    ]
    context = {
        "form": form,
        "enrolment": enrolment,
        "anchor": anchor,
        "moved": rows,
        "new": _rows(protocol, new),
        "ended": enrolment.status == "ended",
    }
    return render(request, "followup/_anchor_preview.html", context)


@login_required
@require_POST
def anchor_move(request: StaffRequest, enrolment_id: int) -> HttpResponse:
    enrolment = _enrolment_for(request.user, enrolment_id)
    form = AnchorForm(request.POST, prefix=f"anchor-{enrolment.pk}")
    if not form.is_valid():
        messages.error(request, _("Choose an anchor date within a year of today."))
        return _tab(enrolment.patient_id)
    try:
        moved = do_move_anchor(request.user, enrolment, form.cleaned_data["anchor"])
    except EnrolmentRefused as refused:
        messages.error(request, refusal_message(refused)[1])
        return _tab(enrolment.patient_id)
    messages.success(request, _("Anchor date corrected: %(count)s open tasks moved.") % {"count": moved})
    return _tab(enrolment.patient_id)
