"""The patients the audit page names and searches (`careloop.accounts.audit_patients`), provided from
PatientsConfig.ready()."""

from collections.abc import Collection

from django.db.models import QuerySet

from careloop.accounts.audit_patients import AuditPatients
from careloop.accounts.models import User
from careloop.patients.models import Patient
from careloop.patients.scoping import patients_for
from careloop.patients.search import search


def names(organization_id: int, ids: Collection[int]) -> dict[int, str]:
    """The names of these patients of this organization, in one query."""
    if not ids:
        return {}
    rows = Patient.objects.filter(organization_id=organization_id, pk__in=ids).values_list("pk", "name")
    return dict(rows)


def found(viewer: User, text: str) -> QuerySet[Patient]:
    patients, _kind = search(patients_for(viewer), text)
    return patients


AUDIT_PATIENTS = AuditPatients(names=names, found=found)
