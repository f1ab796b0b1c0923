"""The sections of the health record: one entry per model says how it is listed, edited and guarded.

The tab registry, the one set of add/edit/delete views and the templates all read this table, so a new
section is a model, a form, a list template and one `register` call.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from careloop.accounts.roles import Perm
from careloop.patients.models import (
    Allergy,
    Condition,
    Encounter,
    FamilyHistory,
    Lifestyle,
    Medication,
    Patient,
    RecordItem,
)
from careloop.patients.record import forms


@dataclass(frozen=True)
class Section:
    name: str  # tab name and URL slug
    label: str | Promise
    model: type[RecordItem]
    form: type[forms.RecordForm]
    edit_permission: Perm
    template: str  # the tab: lists the rows with their buttons
    single: bool = False  # one row per patient (lifestyle): "add" updates the row if there is one
    more_context: Callable[[list[Any]], dict[str, Any]] | None = None  # more context from the rows

    @property
    def noun(self) -> str:
        """The singular name of one row: "condition", "medication", ..."""
        return str(self.model._meta.verbose_name)

    @property
    def fields(self) -> list[str]:
        return list(self.form._meta.fields or [])

    def rows(self, patient: Patient) -> list[Any]:
        return list(self.model._default_manager.filter(patient=patient))

    def context(self, patient: Patient) -> dict[str, Any]:
        rows = self.rows(patient)
        context = {"section": self, "rows": rows, "item": rows[0] if self.single and rows else None}
        if self.more_context:
            context.update(self.more_context(rows))
        return context


SECTIONS: dict[str, Section] = {}


def register(section: Section) -> Section:
    SECTIONS[section.name] = section
    return section


def _current_and_stopped(rows: list[Medication]) -> dict[str, Any]:
    """A medication is stopped from its stop date on; a stop date still ahead means it is being taken."""
    today = timezone.localdate()
    stopped = [m for m in rows if m.stop_date is not None and m.stop_date <= today]
    current = [m for m in rows if m.stop_date is None or m.stop_date > today]
    # The latest stopped first: what was stopped recently is what a clinician asks about.
    stopped.sort(key=lambda m: (m.stop_date, m.pk), reverse=True)
    return {"current": current, "stopped": stopped}


CLINICAL, NURSING = Perm.RECORD_EDIT_CLINICAL, Perm.RECORD_EDIT_NURSING
T = "patients/record/{}.html".format

register(Section("conditions", _("Conditions"), Condition, forms.ConditionForm, CLINICAL, T("conditions")))
register(
    Section(
        "medications", _("Medications"), Medication, forms.MedicationForm, CLINICAL, T("medications"),
        more_context=_current_and_stopped,
    )
)  # fmt: skip
register(Section("allergies", _("Allergies"), Allergy, forms.AllergyForm, NURSING, T("allergies")))
register(
    Section("lifestyle", _("Lifestyle"), Lifestyle, forms.LifestyleForm, NURSING, T("lifestyle"), single=True)
)
register(
    Section(
        "family-history",
        _("Family history"),
        FamilyHistory,
        forms.FamilyHistoryForm,
        NURSING,
        T("family_history"),
    )
)
register(Section("encounters", _("Encounters"), Encounter, forms.EncounterForm, CLINICAL, T("encounters")))
