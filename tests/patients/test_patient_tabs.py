"""The patient page's tabs: registered by the apps' ready(), in a fixed order, each to its permission."""

import pytest

from careloop.accounts.models import User
from careloop.accounts.roles import Role
from careloop.patients.patient_tabs import TABS, visible_tabs
from careloop.patients.record.sections import SECTIONS


def test_tabs_come_in_order_profile_record_sections_membership_trends_questionnaires_followup():
    assert list(TABS) == [
        "summary",
        *SECTIONS,
        "cards",
        "family",
        "consent",
        "trends",
        "questionnaires",
        "followup",
    ]


@pytest.mark.parametrize(
    ("role", "sees_record"),
    [(Role.DOCTOR, True), (Role.RECEPTIONIST, False)],
)
def test_a_role_sees_the_tabs_its_permissions_allow(role, sees_record):
    names = [tab.name for tab in visible_tabs(User(role=role, organization_id=1))]
    assert ("trends" in names) is sees_record
    assert ("conditions" in names) is sees_record
    assert "summary" in names
