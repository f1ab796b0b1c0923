"""The pure rules of who may manage whom (三员分立): tables of cases."""

import pytest

from careloop.accounts.roles import ROLE_PERMISSIONS, Perm, Role, permissions_of, role_allows
from careloop.accounts.staff_rules import (
    Refusal,
    Staff,
    change_refusal,
    grantable_roles,
    manage_refusal,
    may_manage,
)

ORG, OTHER = 1, 2
ADMIN = Staff(10, Role.ADMIN, ORG)


@pytest.mark.parametrize(
    ("actor", "target", "allowed"),
    [
        (Role.ADMIN, Role.ADMIN, True),
        (Role.ADMIN, Role.DOCTOR, True),
        (Role.ADMIN, Role.NURSE, True),
        (Role.ADMIN, Role.RECEPTIONIST, True),
        (Role.ADMIN, Role.AUDITOR, False),  # the auditor holds audit.view, which the admin does not
        (Role.ADMIN, "superuser", False),  # not a role
        (Role.ADMIN, "", False),
        (Role.AUDITOR, Role.NURSE, False),
        (Role.AUDITOR, Role.AUDITOR, False),
        (Role.DOCTOR, Role.NURSE, False),  # no staff.manage
        (Role.NURSE, Role.NURSE, False),
        (Role.RECEPTIONIST, Role.RECEPTIONIST, False),
        ("", Role.NURSE, False),
    ],
)
def test_an_actor_manages_only_roles_whose_permissions_are_a_subset_of_their_own(actor, target, allowed):
    assert may_manage(actor, target) is allowed


def test_what_an_administrator_may_grant_is_every_role_but_the_auditor():
    assert grantable_roles(Role.ADMIN) == [Role.ADMIN, Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST]
    assert grantable_roles(Role.NURSE) == []
    assert grantable_roles(Role.AUDITOR) == []


def test_the_three_powers_are_apart():
    assert permissions_of(Role.AUDITOR) == {Perm.AUDIT_VIEW}
    assert [role for role in Role if role_allows(role, Perm.AUDIT_VIEW)] == [Role.AUDITOR]
    assert [role for role in Role if role_allows(role, Perm.STAFF_MANAGE)] == [Role.ADMIN]
    assert not role_allows(Role.AUDITOR, Perm.PATIENT_VIEW)
    assert ROLE_PERMISSIONS[Role.ADMIN] == frozenset(Perm) - {Perm.AUDIT_VIEW}
    assert permissions_of("root") == frozenset()


NURSE = Staff(20, Role.NURSE, ORG)
OTHER_ADMIN = Staff(11, Role.ADMIN, ORG)


@pytest.mark.parametrize(
    ("actor", "before", "after", "other_admins", "refusal"),
    [
        # adding
        (ADMIN, None, Staff(None, Role.NURSE, ORG), 1, None),
        (ADMIN, None, Staff(None, Role.ADMIN, ORG), 1, None),
        (ADMIN, None, Staff(None, Role.AUDITOR, ORG), 1, Refusal.ROLE_BEYOND_OWN),
        (ADMIN, None, Staff(None, Role.NURSE, OTHER), 1, Refusal.OTHER_ORGANIZATION),
        (ADMIN, None, Staff(None, Role.NURSE, None, superuser=True), 1, Refusal.OTHER_ORGANIZATION),
        (ADMIN, None, Staff(None, Role.NURSE, ORG, superuser=True), 1, Refusal.SUPERUSER),
        (Staff(30, Role.DOCTOR, ORG), None, Staff(None, Role.NURSE, ORG), 1, Refusal.NOT_AN_ADMINISTRATOR),
        (Staff(31, Role.AUDITOR, ORG), None, Staff(None, Role.NURSE, ORG), 1, Refusal.NOT_AN_ADMINISTRATOR),
        (Staff(32, Role.ADMIN, None), None, Staff(None, Role.NURSE, None), 1, Refusal.NOT_AN_ADMINISTRATOR),
        # editing others
        (ADMIN, NURSE, Staff(20, Role.DOCTOR, ORG), 1, None),
        (ADMIN, NURSE, Staff(20, Role.NURSE, ORG, active=False), 1, None),
        (ADMIN, NURSE, Staff(20, Role.AUDITOR, ORG), 1, Refusal.ROLE_BEYOND_OWN),
        (ADMIN, NURSE, Staff(20, Role.NURSE, OTHER), 1, Refusal.ORGANIZATION_CHANGE),
        (ADMIN, NURSE, Staff(20, Role.NURSE, None), 1, Refusal.ORGANIZATION_CHANGE),
        (ADMIN, NURSE, Staff(20, Role.NURSE, ORG, superuser=True), 1, Refusal.SUPERUSER),
        (ADMIN, Staff(40, Role.AUDITOR, ORG), Staff(40, Role.NURSE, ORG), 1, Refusal.ROLE_BEYOND_OWN),
        (ADMIN, Staff(41, Role.NURSE, OTHER), Staff(41, Role.NURSE, OTHER), 1, Refusal.OTHER_ORGANIZATION),
        (ADMIN, Staff(41, Role.NURSE, OTHER), Staff(41, Role.NURSE, ORG), 1, Refusal.OTHER_ORGANIZATION),
        # the organization keeps an active administrator
        (ADMIN, OTHER_ADMIN, Staff(11, Role.NURSE, ORG), 1, None),
        (ADMIN, OTHER_ADMIN, Staff(11, Role.NURSE, ORG), 0, Refusal.LAST_ADMINISTRATOR),
        (ADMIN, OTHER_ADMIN, Staff(11, Role.ADMIN, ORG, active=False), 0, Refusal.LAST_ADMINISTRATOR),
        (ADMIN, Staff(12, Role.ADMIN, ORG, active=False), Staff(12, Role.NURSE, ORG), 0, None),
        (ADMIN, OTHER_ADMIN, Staff(11, Role.ADMIN, ORG), 0, None),
        # oneself
        (ADMIN, ADMIN, Staff(10, Role.ADMIN, ORG), 0, None),
        (ADMIN, ADMIN, Staff(10, Role.DOCTOR, ORG), 3, Refusal.OWN_ROLE),
        (ADMIN, ADMIN, Staff(10, Role.ADMIN, ORG, active=False), 3, Refusal.OWN_DEACTIVATION),
        (ADMIN, ADMIN, Staff(10, Role.ADMIN, OTHER), 3, Refusal.ORGANIZATION_CHANGE),
        (ADMIN, ADMIN, Staff(10, Role.ADMIN, None), 3, Refusal.ORGANIZATION_CHANGE),
        (ADMIN, ADMIN, Staff(10, Role.ADMIN, None, superuser=True), 3, Refusal.ORGANIZATION_CHANGE),
        (ADMIN, ADMIN, Staff(10, Role.ADMIN, ORG, superuser=True), 3, Refusal.SUPERUSER),
        (ADMIN, ADMIN, Staff(10, Role.AUDITOR, ORG), 3, Refusal.ROLE_BEYOND_OWN),
    ],
)
def test_change_refusals(actor, before, after, other_admins, refusal):
    assert change_refusal(actor, before, after, other_admins) == refusal


@pytest.mark.parametrize(
    ("target", "refusal"),
    [
        (NURSE, None),
        (OTHER_ADMIN, None),
        (ADMIN, None),
        (Staff(40, Role.AUDITOR, ORG), Refusal.ROLE_BEYOND_OWN),
        (Staff(41, Role.NURSE, OTHER), Refusal.OTHER_ORGANIZATION),
        (Staff(42, Role.NURSE, None, superuser=True), Refusal.OTHER_ORGANIZATION),
        (Staff(43, Role.NURSE, ORG, active=False), None),
    ],
)
def test_whom_an_administrator_may_act_on_as_they_are(target, refusal):
    assert manage_refusal(ADMIN, target) == refusal
