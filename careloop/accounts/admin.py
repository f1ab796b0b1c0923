from typing import Any, cast

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import ForeignKey, Model, QuerySet
from django.forms import ModelChoiceField
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from careloop.accounts import actions
from careloop.accounts.models import AuditEntry, Department, Organization, User


def _staff(request: HttpRequest) -> User:
    return cast(User, request.user)  # the admin site lets in only active staff users


class OrganizationScopedAdmin[M: Model](admin.ModelAdmin[M]):
    """An organization's own administrators see only their organization's rows; superusers see all."""

    organization_field = "organization"

    def get_queryset(self, request: HttpRequest) -> QuerySet[M]:
        queryset = super().get_queryset(request)
        user = _staff(request)
        if user.is_superuser:
            return queryset
        return queryset.filter(**{self.organization_field: user.organization_id})

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        user = _staff(request)
        if not user.is_superuser:
            org_id = user.organization_id  # a staff user without an organization may pick none
            if db_field.name == "organization":
                kwargs["queryset"] = Organization.objects.filter(pk=org_id or 0)
            elif db_field.name == "department":
                kwargs["queryset"] = Department.objects.filter(organization_id=org_id or 0)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Organization)
class OrganizationAdmin(OrganizationScopedAdmin[Organization]):
    organization_field = "pk"

    list_display = ["name", "code", "created_at"]
    search_fields = ["name", "code"]


@admin.register(Department)
class DepartmentAdmin(OrganizationScopedAdmin[Department]):
    list_display = ["name", "organization"]
    list_filter = ["organization"]
    search_fields = ["name"]


@admin.register(User)
class StaffAdmin(OrganizationScopedAdmin[User], UserAdmin[User]):
    list_display = [
        "username",
        "display_name",
        "organization",
        "department",
        "role",
        "is_active",
        "totp_confirmed",
        "locked_until",
    ]
    list_filter = ["organization", "role", "is_active", "totp_confirmed"]
    search_fields = ["username", "display_name", "first_name", "last_name", "email"]
    readonly_fields = ["failed_logins", "locked_until", "totp_confirmed", "last_login", "date_joined"]
    fieldsets = [
        *(UserAdmin.fieldsets or ()),
        (_("CareLoop"), {"fields": ["display_name", "organization", "department", "role"]}),
        (_("Login security"), {"fields": ["failed_logins", "locked_until", "totp_confirmed"]}),
    ]
    add_fieldsets = [
        *UserAdmin.add_fieldsets,
        (_("CareLoop"), {"fields": ["display_name", "organization", "department", "role"]}),
    ]
    actions = ["unlock"]

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if not _staff(request).is_superuser:  # an organization's admin cannot grant installation-wide powers
            fields += ["is_superuser", "groups", "user_permissions"]
        return fields

    @admin.action(description=_("Unlock the selected accounts"))
    def unlock(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            actions.do_unlock(user, _staff(request))


@admin.register(AuditEntry)
class AuditEntryAdmin(OrganizationScopedAdmin[AuditEntry]):
    """Read-only: the trail is append-only.

    Staff read it in the audit page; this is for installation admins.
    """

    list_display = [
        "at",
        "organization",
        "actor_label",
        "actor_role",
        "action",
        "object_type",
        "object_id",
        "patient_id",
        "ip",
    ]
    list_filter = ["organization", "action"]
    search_fields = ["actor_label", "action", "request_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False
