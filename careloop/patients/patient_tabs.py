"""The registry of the patient page's tabs. Each tab names its template, the permission to see it, and its
data. The apps register theirs from `AppConfig.ready()`; the page shows them in the order registered."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from careloop.accounts.models import User
from careloop.accounts.roles import Perm
from careloop.patients.models import Patient


@dataclass(frozen=True)
class Tab:
    name: str
    label: str | Promise
    permission: Perm
    template: str
    context: Callable[[Patient], dict[str, Any]]


TABS: dict[str, Tab] = {}


def register(tab: Tab) -> None:
    TABS[tab.name] = tab


def visible_tabs(user: User) -> list[Tab]:
    return [tab for tab in TABS.values() if user.can(tab.permission)]


def _summary(patient: Patient) -> dict[str, Any]:
    return {}


SUMMARY_TAB = Tab("summary", _("Profile"), Perm.PATIENT_VIEW, "patients/tabs/summary.html", _summary)
