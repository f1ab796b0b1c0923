"""The organization administrator's staff pages: the list, adding, editing, unlocking, resetting a password.

Views parse, authorize (`require` the permission; another organization's account is 404; an account the
administrator may not manage, such as the audit reviewer's, is 403), call a `staff_actions` action, render.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from careloop.accounts import actions, staff_actions
from careloop.accounts.authorization import require
from careloop.accounts.models import User
from careloop.accounts.requests import StaffRequest
from careloop.accounts.roles import Perm, Role
from careloop.accounts.staff_forms import StaffForm
from careloop.accounts.staff_rules import manage_refusal, may_manage

PAGE_SIZE = 50


def organization_id_of(request: StaffRequest, permission: Perm) -> int:
    require(request.user, permission)
    org_id = request.user.organization_id
    assert org_id is not None  # require() lets in only staff of an organization
    return org_id


def _member(request: StaffRequest, user_id: int) -> User:
    """The organization's account that the administrator may manage: 404 elsewhere, 403 beyond their role."""
    org_id = organization_id_of(request, Perm.STAFF_MANAGE)
    member = get_object_or_404(User.objects.select_related("department"), pk=user_id, organization_id=org_id)
    refusal = manage_refusal(staff_actions.as_staff(request.user), staff_actions.as_staff(member))
    if refusal is not None:
        raise PermissionDenied(refusal.value)
    return member


@login_required
def staff_list(request: StaffRequest) -> HttpResponse:
    org_id = organization_id_of(request, Perm.STAFF_MANAGE)
    members = User.objects.filter(organization_id=org_id).select_related("department")
    query = request.GET.get("q", "").strip()[:100]
    role = request.GET.get("role", "")
    if query:
        members = members.filter(
            Q(username__icontains=query)
            | Q(display_name__icontains=query)
            | Q(department__name__icontains=query)
        )
    if role in {r.value for r in Role}:
        members = members.filter(role=role)
    page = Paginator(members.order_by("-is_active", "role", "username"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    now = timezone.now()
    rows = [
        {
            "member": member,
            "locked": member.locked_until is not None and member.locked_until > now,
            "manageable": may_manage(request.user.role, member.role),
        }
        for member in page
    ]
    filters = request.GET.copy()
    filters.pop("page", None)
    context = {
        "page": page,
        "rows": rows,
        "q": query,
        "role": role,
        "roles": User._meta.get_field("role").choices,
        "query": filters.urlencode(),
    }
    return render(request, "accounts/staff/list.html", context)


def _one_time_password(request: StaffRequest, member: User, password: str, added: bool) -> HttpResponse:
    """The temporary password, shown this once: not stored, not cached, not in any URL or log."""
    response = render(
        request,
        "accounts/staff/temporary_password.html",
        {"member": member, "password": password, "added": added},
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@never_cache
def staff_add(request: StaffRequest) -> HttpResponse:
    org_id = organization_id_of(request, Perm.STAFF_MANAGE)
    form = StaffForm(request.POST or None, instance=User(organization_id=org_id), actor=request.user)
    if request.method == "POST" and form.is_valid():
        member = form.save(commit=False)
        try:
            password = staff_actions.do_create_staff(request.user, member, give_temporary_password=True)
        except staff_actions.StaffChangeRefused as refused:
            form.add_error(None, refused.message)
        else:
            assert password is not None
            return _one_time_password(request, member, password, added=True)
    return render(request, "accounts/staff/form.html", {"form": form, "member": None})


@login_required
def staff_edit(request: StaffRequest, user_id: int) -> HttpResponse:
    member = _member(request, user_id)
    before = staff_actions.staff_snapshot(member)
    form = StaffForm(request.POST or None, instance=member, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            staff_actions.do_update_staff(request.user, form.save(commit=False), before)
        except staff_actions.StaffChangeRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Saved the changes to %(name)s.") % {"name": member.label})
            return redirect("staff:list")
    locked = member.locked_until is not None and member.locked_until > timezone.now()
    return render(request, "accounts/staff/form.html", {"form": form, "member": member, "locked": locked})


@login_required
@require_POST
@never_cache
def staff_reset_password(request: StaffRequest, user_id: int) -> HttpResponse:
    member = _member(request, user_id)
    password = staff_actions.do_reset_password(request.user, member)
    return _one_time_password(request, member, password, added=False)


@login_required
@require_POST
def staff_unlock(request: StaffRequest, user_id: int) -> HttpResponse:
    member = _member(request, user_id)
    actions.do_unlock(member, request.user)
    messages.success(request, _("%(name)s can log in again.") % {"name": member.label})
    return redirect("staff:edit", member.pk) if request.POST.get("back") == "edit" else redirect("staff:list")


# The administration area's tabs, in order (the template `accounts/staff/_tabs.html` shows the same).
ADMINISTRATION_PAGES = [
    (Perm.STAFF_MANAGE, "staff:list"),
    (Perm.DEPARTMENT_MANAGE, "staff:departments"),
    (Perm.TAG_MANAGE, "staff:tags"),
    (Perm.TAG_RULE_MANAGE, "staff:tag_rules"),
    (Perm.PROTOCOL_MANAGE, "staff:protocols"),
    (Perm.QUESTIONNAIRE_MANAGE, "questionnaires:manage"),
    (Perm.PASSWORD_POLICY_SET, "staff:password_policy"),
]


@login_required
def administration(request: StaffRequest) -> HttpResponse:
    """The header's link: the first of the area's pages the user may open."""
    for permission, page in ADMINISTRATION_PAGES:
        if request.user.can(permission):
            return redirect(page)
    raise PermissionDenied("administration")
