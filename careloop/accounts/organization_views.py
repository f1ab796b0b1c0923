"""The organization administrator's pages for departments and the password policy (the tag catalogue's page
is the patients app's, `careloop.patients.tag_views`, in the same area and URL namespace).

Rows are renamed in place (HTMX answers the row; without JavaScript the form posts and the page reloads).
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.accounts import organization_actions
from careloop.accounts.models import Department, PasswordPolicy, User
from careloop.accounts.password_validation import rules_for
from careloop.accounts.requests import StaffRequest
from careloop.accounts.roles import Perm
from careloop.accounts.staff_forms import DepartmentForm, PasswordPolicyForm
from careloop.accounts.staff_views import organization_id_of


def count_of(rows: QuerySet[Any], field: str) -> Coalesce:
    """How many of `rows` point at the listed row through `field` (a subquery: no join fan-out)."""
    counted = rows.filter(**{field: OuterRef("pk")}).values(field).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _departments(org_id: int) -> QuerySet[Department]:
    # Patients point at their department too; the reverse relation counts them without importing the
    # patients app, which builds on this one.
    patients = Department.objects.values("pk").annotate(n=Count("patient")).filter(pk=OuterRef("pk"))
    return Department.objects.filter(organization_id=org_id).annotate(
        staff_count=count_of(User.objects.all(), "department"),
        patient_count=Coalesce(Subquery(patients.values("n"), output_field=IntegerField()), Value(0)),
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
