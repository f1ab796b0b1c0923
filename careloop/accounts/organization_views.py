"""The organization administrator's pages for departments, the tag catalogue and the password policy.

Rows are renamed in place (HTMX answers the row; without JavaScript the form posts and the page reloads).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.accounts import audit, organization_actions
from careloop.accounts.models import Department, PasswordPolicy, User
from careloop.accounts.password_validation import rules_for
from careloop.accounts.requests import StaffRequest
from careloop.accounts.roles import Perm
from careloop.accounts.staff_forms import DepartmentForm, PasswordPolicyForm, TagForm
from careloop.accounts.staff_views import organization_id_of
from careloop.patients import tag_actions
from careloop.patients.models import Patient, PatientTag, Tag


def _count_of(model: type[User] | type[Patient] | type[PatientTag], field: str) -> Coalesce:
    """How many rows of `model` point at the listed row through `field` (a subquery: no join fan-out)."""
    counted = (
        model.objects.filter(**{field: OuterRef("pk")}).values(field).annotate(n=Count("pk")).values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _departments(org_id: int) -> QuerySet[Department]:
    return Department.objects.filter(organization_id=org_id).annotate(
        staff_count=_count_of(User, "department"), patient_count=_count_of(Patient, "department")
    )


@login_required
def departments(request: StaffRequest) -> HttpResponse:
    org_id = organization_id_of(request, Perm.DEPARTMENT_MANAGE)
    form = DepartmentForm(request.POST or None, instance=Department(organization_id=org_id))
    if request.method == "POST" and form.is_valid():
        department = organization_actions.do_create_department(request.user, form.save(commit=False))
        messages.success(request, _("Added the department %(name)s.") % {"name": department.name})
        return redirect("staff:departments")
    return render(
        request, "accounts/staff/departments.html", {"form": form, "departments": _departments(org_id)}
    )


@login_required
@require_POST
def department_rename(request: StaffRequest, department_id: int) -> HttpResponse:
    org_id = organization_id_of(request, Perm.DEPARTMENT_MANAGE)
    department = get_object_or_404(Department, pk=department_id, organization_id=org_id)
    form = DepartmentForm(request.POST, instance=department)
    saved = form.is_valid()
    if saved:
        organization_actions.do_rename_department(request.user, department, form.cleaned_data["name"])
    if not request.htmx:
        if not saved:
            messages.error(request, " ".join(str(e) for e in form.errors.get("name", [])))
        return redirect("staff:departments")
    department = _departments(org_id).get(pk=department_id)
    # 200 with the reason in the row: htmx swaps no 4xx answer in.
    return render(
        request,
        "accounts/staff/_department_row.html",
        {"department": department, "row_form": form, "saved": saved},
    )


@login_required
@require_POST
def department_delete(request: StaffRequest, department_id: int) -> HttpResponse:
    org_id = organization_id_of(request, Perm.DEPARTMENT_MANAGE)
    department = get_object_or_404(Department, pk=department_id, organization_id=org_id)
    try:
        organization_actions.do_delete_department(request.user, department)
    except organization_actions.DepartmentInUse:
        messages.error(
            request, _("%(name)s still has staff or patients; move them first.") % {"name": department.name}
        )
    else:
        messages.success(request, _("Deleted the department %(name)s.") % {"name": department.name})
    return redirect("staff:departments")


def _tags(org_id: int) -> QuerySet[Tag]:
    return Tag.objects.filter(organization_id=org_id).annotate(patient_count=_count_of(PatientTag, "tag"))


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


@login_required
def password_policy(request: StaffRequest) -> HttpResponse:
    org_id = organization_id_of(request, Perm.PASSWORD_POLICY_SET)
    stored = PasswordPolicy.objects.filter(organization_id=org_id).first()
    form = PasswordPolicyForm(request.POST or None, instance=stored or PasswordPolicy(organization_id=org_id))
    if request.method == "POST" and form.is_valid():
        organization_actions.do_set_password_policy(request.user, org_id, form.rules())
        messages.success(
            request, _("Saved the password policy. It applies to every password chosen from now on.")
        )
        return redirect("staff:password_policy")
    return render(
        request,
        "accounts/staff/password_policy.html",
        {"form": form, "rules": rules_for(org_id), "is_default": stored is None},
    )
