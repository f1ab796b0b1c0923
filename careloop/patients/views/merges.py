"""Merging two records of one person (一人一档) from the probable-duplicates page, the list of merges, and
undoing one (merging.py does the work)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.accounts.authorization import require
from careloop.accounts.requests import StaffRequest
from careloop.accounts.roles import Perm
from careloop.patients import actions
from careloop.patients.merge_forms import MergeForm, field_label, held_rows
from careloop.patients.merging import MergeRefused, do_merge_patients, do_unmerge
from careloop.patients.models import PatientMerge
from careloop.patients.scoping import patients_for

MERGES_PER_PAGE = 50


@login_required
def merge_pair(request: StaffRequest, first_id: int, second_id: int) -> HttpResponse:
    require(request.user, Perm.PATIENT_MERGE)
    pair = patients_for(request.user).select_related("responsible_doctor", "department")
    found = pair.in_bulk([first_id, second_id])
    if first_id == second_id or len(found) != 2:
        raise Http404("No such pair of patients")
    first, second = found[first_id], found[second_id]
    form = MergeForm(request.POST or None, first, second)
    if request.method == "POST" and form.is_valid():
        survivor, merged = form.pair()
        try:
            merge = do_merge_patients(request.user, survivor, merged, take=form.take())
        except MergeRefused as refused:
            messages.error(request, str(refused))
            return redirect("patients:duplicates")
        # The message carries the undo button: a form, rendered with this request's CSRF token.
        kept = sum(len(pks) for pks in merge.kept.values())
        undo = render_to_string("patients/_merged_message.html", {"merge": merge, "kept": kept}, request)
        messages.success(request, undo)
        return redirect("patients:detail", survivor.pk)
    # Both records are shown side by side: a read of each, as on its own page.
    for patient in (first, second):
        actions.record_view(request.user, patient, "merge")
    context = {
        "form": form,
        "first": first,
        "second": second,
        "pair": [first, second],
        "rows": form.rows(),
        "survivor_id": form.chosen("survivor"),
        "held": held_rows(first, second),
    }
    return render(request, "patients/merge.html", context)


@login_required
def merge_list(request: StaffRequest) -> HttpResponse:
    require(request.user, Perm.PATIENT_MERGE)
    organization_id = request.user.organization_id
    assert organization_id is not None  # require() lets in only staff of an organization
    merges = PatientMerge.objects.filter(organization_id=organization_id).select_related(
        "survivor", "merged", "merged_by", "undone_by"
    )
    page = Paginator(merges, MERGES_PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        (
            merge,
            [field_label(name) for name in merge.taken],
            sum(len(pks) for pks in merge.moved.values()),
            sum(len(pks) for pks in merge.kept.values()),
        )
        for merge in page
    ]
    ids = sorted({pid for merge in page for pid in (merge.survivor_id, merge.merged_id)})
    actions.record_list(request.user, ids, "merges", [])
    return render(request, "patients/merges.html", {"page": page, "rows": rows})


@login_required
@require_POST
def merge_undo(request: StaffRequest, merge_id: int) -> HttpResponse:
    require(request.user, Perm.PATIENT_MERGE)
    merge = get_object_or_404(PatientMerge, organization_id=request.user.organization_id, pk=merge_id)
    try:
        do_unmerge(request.user, merge)
    except MergeRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request,
            _("The merge was undone: %(merged)s and %(survivor)s are two records again.")
            % {"merged": merge.merged.name, "survivor": merge.survivor.name},
        )
    return redirect("patients:merges")
