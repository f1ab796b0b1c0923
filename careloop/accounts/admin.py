"""The Django admin: the installation superuser's (see `admin_site.py`), for organizations, their
departments and staff. Every save and delete here goes through the same `do_*` actions as the product
pages, so it lands in the organization's audit chain and not only in `django_admin_log`.

The audit trail itself is not here: reviewing it is the organization's audit reviewer's work (三员分立).
"""

from typing import Any, cast

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from careloop.accounts import actions, audit, organization_actions, staff_actions
from careloop.accounts.models import Department, Organization, User


def _acting(request: HttpRequest) -> User:
    return cast(User, request.user)  # the admin site lets in only the installation's superuser


# What an account may do is its role (roles.py); Django's groups and per-user permissions grant nothing here.
admin.site.unregister(Group)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin[Organization]):
    list_display = ["name", "code", "created_at"]
    readonly_fields = ["created_at"]
    search_fields = ["name", "code"]

    def save_model(self, request: HttpRequest, obj: Organization, form: Any, change: bool) -> None:
        before = None
        if change:
            stored = Organization.objects.get(pk=obj.pk)
            before = audit.snapshot(stored, ["name", "code", "created_at"])
        organization_actions.do_save_organization(_acting(request), obj, before)

    def delete_model(self, request: HttpRequest, obj: Organization) -> None:
        organization_actions.do_delete_organization(_acting(request), obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Organization]) -> None:
        for organization in queryset:
            self.delete_model(request, organization)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin[Department]):
    list_display = ["name", "organization"]
    list_filter = ["organization"]
    list_select_related = ["organization"]
    search_fields = ["name"]

    def get_readonly_fields(self, request: HttpRequest, obj: Department | None = None) -> list[str]:
        return ["organization"] if obj else []  # its staff and patients stay in their organization

    def has_delete_permission(self, request: HttpRequest, obj: Department | None = None) -> bool:
        in_use = obj is not None and organization_actions.department_in_use(obj)
        return super().has_delete_permission(request, obj) and not in_use

    def save_model(self, request: HttpRequest, obj: Department, form: Any, change: bool) -> None:
        if change:
            organization_actions.do_rename_department(_acting(request), obj, obj.name)
        else:
            organization_actions.do_create_department(_acting(request), obj)

    def delete_model(self, request: HttpRequest, obj: Department) -> None:
        organization_actions.do_delete_department(_acting(request), obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Department]) -> None:
        for department in queryset:
            self.delete_model(request, department)


class StaffFormRules(forms.ModelForm[User]):
    """What the database and the organizations' pages expect of any account the superuser saves."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        organization = data.get("organization")
        if data.get("is_superuser") and organization is not None:
            self.add_error(
                "organization", _("A superuser administers the installation and belongs to no organization.")
            )
        department = data.get("department")
        if department is not None and department.organization_id != getattr(organization, "pk", None):
            self.add_error("department", _("Choose a department of the account's organization."))
        return data


class StaffChangeForm(StaffFormRules, UserChangeForm[User]):
    pass


class StaffCreationForm(StaffFormRules, AdminUserCreationForm[User]):
    pass


class AuditedPasswordChangeForm(AdminPasswordChangeForm[User]):
    """The admin's "change password" page, through `do_set_password` (audited, and a change forced)."""

    def save(self, commit: bool = True) -> User:
        by = audit.current_context().actor  # the admin calls this form without the request
        assert by is not None, "the Django admin runs inside a request with a signed-in superuser"
        password = self.cleaned_data["password1"] if self.cleaned_data["set_usable_password"] else None
        staff_actions.do_set_password(by, self.user, password)
        return self.user


CARELOOP_FIELDS = ("display_name", "organization", "department", "role")


@admin.register(User)
class StaffAdmin(UserAdmin[User]):
    form = StaffChangeForm
    add_form = StaffCreationForm
    change_password_form = AuditedPasswordChangeForm
    list_display = [
        "username",
        "display_name",
        "organization",
        "department",
        "role",
        "is_active",
        "is_superuser",
        "totp_confirmed",
        "locked_until",
    ]
    list_filter = ["organization", "role", "is_active", "is_superuser", "totp_confirmed"]
    list_select_related = ["organization", "department"]
    search_fields = ["username", "display_name", "first_name", "last_name", "email"]
    readonly_fields = [
        "failed_logins",
        "locked_until",
        "totp_confirmed",
        "must_change_password",
        "password_changed_at",
        "last_login",
        "date_joined",
    ]
    # Django's groups and per-user permissions mean nothing here: what an account may do is its role.
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Personal info"), {"fields": ["first_name", "last_name", "email"]}),
        (_("CareLoop"), {"fields": CARELOOP_FIELDS}),
        (_("Status"), {"fields": ["is_active", "is_superuser"]}),
        (
            _("Login security"),
            {"fields": ["failed_logins", "locked_until", "totp_confirmed", "must_change_password"]},
        ),
        (_("Important dates"), {"fields": ["last_login", "date_joined", "password_changed_at"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["username", "usable_password", "password1", "password2"]}),
        (_("CareLoop"), {"fields": (*CARELOOP_FIELDS, "is_superuser")}),
    ]
    filter_horizontal = ()
    actions = ["unlock"]

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        if change:
            before = staff_actions.staff_snapshot(User.objects.get(pk=obj.pk))
            staff_actions.do_update_staff(_acting(request), obj, before)
        else:
            staff_actions.do_create_staff(_acting(request), obj)

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        staff_actions.do_delete_staff(_acting(request), obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            self.delete_model(request, user)

    @admin.action(description=_("Unlock the selected accounts"))
    def unlock(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            actions.do_unlock(user, _acting(request))
