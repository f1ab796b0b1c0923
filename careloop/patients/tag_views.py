"""The organization administrator's tag catalogue page, under /organization/tags/ beside the departments
(URL names `staff:tags`, `staff:tag`). Rows are edited in place (HTMX answers the row; without JavaScript
the form posts and the page reloads)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.accounts import audit
from careloop.accounts.organization_views import count_of
from careloop.accounts.requests import StaffRequest
from careloop.accounts.roles import Perm
from careloop.accounts.staff_views import organization_id_of
from careloop.patients import tag_actions
from careloop.patients.models import PatientTag, Tag
from careloop.patients.tag_forms import TagForm


def _tags(org_id: int) -> QuerySet[Tag]:
    return Tag.objects.filter(organization_id=org_id).annotate(
        patient_count=count_of(PatientTag.objects.all(), "tag")
    )


@login_required
def tags(request: StaffRequest) -> HttpResponse:
    org_id = organization_id_of(request, Perm.TAG_MANAGE)
    form = TagForm(request.POST or None, instance=Tag(organization_id=org_id))
    if request.method == "POST" and form.is_valid():
        tag = tag_actions.do_create_tag(request.user, form.save(commit=False))
        messages.success(request, _("Added the tag %(name)s.") % {"name": tag.name})
        return redirect("staff:tags")
    return render(request, "accounts/staff/tags.html", {"form": form, "tags": _tags(org_id)})


@login_required
@require_POST
def tag_edit(request: StaffRequest, tag_id: int) -> HttpResponse:
    org_id = organization_id_of(request, Perm.TAG_MANAGE)
    tag = get_object_or_404(Tag, pk=tag_id, organization_id=org_id)
    before = audit.snapshot(tag, tag_actions.TAG_FIELDS)
    form = TagForm(request.POST, instance=tag)
    saved = form.is_valid()
    if saved:
        tag_actions.do_update_tag(request.user, form.save(commit=False), before)
    if not request.htmx:
        if not saved:
            messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("staff:tags")
    tag = _tags(org_id).get(pk=tag_id)
    return render(request, "accounts/staff/_tag_row.html", {"tag": tag, "row_form": form, "saved": saved})
