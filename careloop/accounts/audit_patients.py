"""What the audit page knows of patients, provided by the patients app.

Accounts is the base app and imports nothing of the apps built on it. The audit page still names the
patient of each entry and filters by a patient search, so the patients app provides both from its
`AppConfig.ready()`: patients' names by id within one organization, and the patients a typed search finds
for a viewer (within the viewer's organization only).
"""

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet

from careloop.accounts.models import User


@dataclass(frozen=True)
class AuditPatients:
    names: Callable[[int, Collection[int]], dict[int, str]]  # organization id, patient ids -> names
    found: Callable[[User, str], QuerySet[Any]]  # viewer, typed search -> the patients it finds


_provided: dict[str, AuditPatients] = {}


def provide(patients: AuditPatients) -> None:
    _provided["patients"] = patients


def audit_patients() -> AuditPatients:
    try:
        return _provided["patients"]
    except KeyError:
        raise ImproperlyConfigured("The patients app provides the audit page's patients.") from None
