"""The worklist (我的随访任务), bulk reassignment, and one task's page where the call is made and recorded."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.accounts import audit
from careloop.accounts.authorization import require
from careloop.accounts.requests import StaffRequest
from careloop.accounts.roles import Perm
from careloop.followup.contacts import ContactInput, do_record_contact
from careloop.followup.forms import ContactForm, ReassignForm, WorklistFilter
from careloop.followup.models import Task
from careloop.followup.recording_forms import refusal_message
from careloop.followup.recordings import RecordingRefused, do_upload_recording
from careloop.followup.task_page import call_answer, task_context
from careloop.followup.worklist import Worklist, organization_of
from careloop.patients.actions import record_list, record_view
from careloop.requestsize import accepts_upload, upload_cut_short


@login_required
def worklist(request: StaffRequest) -> HttpResponse:
    require(request.user, Perm.FOLLOWUP_WORK)
    today = timezone.localdate()
    filters = WorklistFilter(request.GET, organization_id=organization_of(request.user))
    worklist = Worklist(request.user, today, filters.chosen())
    page_text = request.GET.get("page", "1")
    page = int(page_text) if page_text.isdigit() and 0 < int(page_text) < 1_000 else 1
    rows, more = worklist.page(page)
    record_list(
        request.user, sorted({row.task.enrolment.patient_id for row in rows}), "worklist", [filters.query()]
    )
    context = {
        "filters": filters,
        "rows": rows,
        "counts": worklist.counts(),
        "today": today,
        "page": page,
        "more": more,
        "query": filters.query(),
        "reassign": ReassignForm(organization_id=organization_of(request.user))
        if request.user.can(Perm.FOLLOWUP_ASSIGN)
        else None,
    }
    return render(request, "followup/worklist.html", context)


def _record(request: StaffRequest, task: Task, form: ContactForm) -> bool:
    """Record the contact and its recording together: a refused recording records nothing, and the form
    comes back with what was typed, asking for another file."""
    data = form.cleaned_data
    given = ContactInput(
        outcome=data["outcome"],
        channel=data["channel"],
        note=data["note"],
        next_contact_on=data["next_contact_on"],
        answer=call_answer(task, request.user),
    )
    try:
        with transaction.atomic():
            contact = do_record_contact(request.user, task, given)
            if data.get("recording"):
                do_upload_recording(request.user, contact, data["recording"])
    except RecordingRefused as refused:
        form.add_error("recording", refusal_message(refused.code))
        return False
    return True


@login_required
@require_POST
def reassign(request: StaffRequest) -> HttpResponse:
    require(request.user, Perm.FOLLOWUP_ASSIGN)
    form = ReassignForm(request.POST, organization_id=organization_of(request.user))
    if not form.is_valid():
        messages.error(request, _("Choose the tasks and whom to give them to."))
        return redirect("followup:worklist")
    assignee = form.cleaned_data["assignee"]
    ids = [task.pk for task in form.cleaned_data["tasks"]]
    with transaction.atomic():
        moved = Task.objects.filter(pk__in=ids, status="pending").update(assignee_user=assignee)
        audit.record(
            "task.assign",
            organization_id=request.user.organization_id,
            detail={"tasks": ids, "to": assignee.pk, "moved": moved},
        )
    messages.success(request, _("%(count)s tasks given to %(name)s.") % {"count": moved, "name": assignee})
    return redirect("followup:worklist")


def _task_for(request: StaffRequest, task_id: int) -> Task:
    require(request.user, Perm.FOLLOWUP_WORK)
    task = (
        Task.objects.select_related("enrolment__patient", "enrolment__protocol", "assignee_user")
        .filter(pk=task_id, organization_id=organization_of(request.user))
        .first()
    )
    if task is None or task.enrolment.patient.merged_into_id is not None:
        raise Http404("No such task")
    return task


@login_required
@accepts_upload(lambda: settings.RECORDING_MAX_BYTES)
def task_detail(request: StaffRequest, task_id: int) -> HttpResponse:
    task = _task_for(request, task_id)
    patient = task.enrolment.patient
    form = ContactForm(initial={"channel": task.channel})
    if request.method == "POST":
        form = ContactForm(request.POST, request.FILES, cut_short=upload_cut_short(request) is not None)
        if task.status != "pending":
            messages.error(request, _("This task is no longer open."))
            return redirect("followup:task", task.pk)
        if form.is_valid() and _record(request, task, form):
            messages.success(request, _("Outcome recorded."))
            following = Worklist(request.user, timezone.localdate()).next_task(after=task)
            if following is not None:
                return redirect("followup:task", following.pk)
            return redirect("followup:worklist")
    record_view(request.user, patient, "followup.task")
    context = task_context(task, request.user) | {"form": form, "today": timezone.localdate()}
    return render(request, "followup/task.html", context, status=400 if form.errors else 200)
