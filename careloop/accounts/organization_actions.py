"""Changes to organizations, their departments and their password policy; each with its audit entry.

Organizations are the installation superuser's (Django admin); departments and the password policy are
also the organization administrator's (product pages). Entries go to the organization's own chain.
"""

import dataclasses
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from careloop.accounts import audit
from careloop.accounts.models import Department, Organization, PasswordPolicy, User
from careloop.accounts.password_rules import PasswordRules
from careloop.accounts.password_validation import rules_for
from careloop.accounts.roles import Perm


class DepartmentInUse(Exception):
    """A department with staff or patients stays: deleting it would silently empty their department."""


def authorize_in(by: User, organization_id: int, permission: Perm) -> None:
    """`by` holds `permission` in this organization, or is the installation's superuser."""
    if by.is_installation_superuser:
        return
    if by.organization_id != organization_id or not by.can(permission):
        raise PermissionDenied(permission.value)


@transaction.atomic
def do_save_organization(by: User, organization: Organization, before: dict[str, Any] | None) -> None:
    """Create (`before` None) or change an organization: the installation superuser's work."""
    if not by.is_installation_superuser:
        raise PermissionDenied("organization")
    organization.save()
    detail: dict[str, Any]
    if before is None:
        action, detail = "organization.created", {"name": organization.name, "code": organization.code}
    else:
        changes = audit.changes(before, organization)
        if not changes:
            return
        action, detail = "organization.updated", {"changes": changes}
    audit.record(action, organization_id=organization.pk, obj=organization, actor=by, detail=detail)


@transaction.atomic
def do_delete_organization(by: User, organization: Organization) -> None:
    """Its own chain stays; the deletion is recorded installation-wide, where the chain cannot go with it."""
    if not by.is_installation_superuser:
        raise PermissionDenied("organization")
    detail = {"organization_id": organization.pk, "name": organization.name, "code": organization.code}
    audit.record("organization.deleted", organization_id=None, obj=organization, actor=by, detail=detail)
    organization.delete()


@transaction.atomic
def do_create_department(by: User, department: Department) -> Department:
    authorize_in(by, department.organization_id, Perm.DEPARTMENT_MANAGE)
    department.save()
    audit.record(
        "department.created",
        organization_id=department.organization_id,
        obj=department,
        actor=by,
        detail={"name": department.name},
    )
    return department


@transaction.atomic
def do_rename_department(by: User, department: Department, name: str) -> None:
    authorize_in(by, department.organization_id, Perm.DEPARTMENT_MANAGE)
    old = Department.objects.select_for_update().values_list("name", flat=True).get(pk=department.pk)
    if old == name:
        return
    department.name = name
    department.save(update_fields=["name"])
    audit.record(
        "department.renamed",
        organization_id=department.organization_id,
        obj=department,
        actor=by,
        detail={"name": [old, name]},
    )


def department_in_use(department: Department) -> bool:
    """Whether staff or patients are in the department (patients through the reverse relation: the patients
    app builds on this one, which does not import it)."""
    return (
        User.objects.filter(department=department).exists()
        or Department.objects.filter(pk=department.pk, patient__isnull=False).exists()
    )


@transaction.atomic
def do_delete_department(by: User, department: Department) -> None:
    authorize_in(by, department.organization_id, Perm.DEPARTMENT_MANAGE)
    if department_in_use(department):
        raise DepartmentInUse(department.name)
    audit.record(
        "department.deleted",
        organization_id=department.organization_id,
        obj=department,
        actor=by,
        detail={"name": department.name},
    )
    department.delete()


@transaction.atomic
def do_set_password_policy(by: User, organization_id: int, rules: PasswordRules) -> None:
    authorize_in(by, organization_id, Perm.PASSWORD_POLICY_SET)
    old = rules_for(organization_id)
    if old == rules:
        return
    PasswordPolicy.objects.update_or_create(
        organization_id=organization_id, defaults=dataclasses.asdict(rules)
    )
    changes = audit.changes(dataclasses.asdict(old), rules)
    audit.record(
        "password_policy.changed", organization_id=organization_id, actor=by, detail={"changes": changes}
    )
