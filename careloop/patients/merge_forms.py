"""The merge page's form: which of two records survives, and for each field where they differ, which
record's value the merged record keeps. Values are shown as the rest of the registry shows them (ID
number and mobile masked)."""

from typing import Any, NamedTuple

from django import forms
from django.db.models import Count
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from careloop.bulkinsert import concrete_field
from careloop.patients.mergerows import PatientLink, patient_links
from careloop.patients.merging import MERGEABLE_FIELDS
from careloop.patients.models import Patient

_MASKED = {"id_number": "masked_id_number", "mobile": "masked_mobile"}


class FieldRow(NamedTuple):
    name: str
    label: str
    choices: list[tuple[Patient, str]]  # each record with its value as shown
    differs: bool
    keep: int | None  # the id of the record whose value is chosen, where they differ
    masked: bool  # an identifier, shown masked


class MergeForm(forms.Form):
    survivor = forms.TypedChoiceField(label=_("Surviving record"), coerce=int, widget=forms.RadioSelect)

    def __init__(self, data: Any, first: Patient, second: Patient) -> None:
        super().__init__(data)
        self.first, self.second = first, second
        choices = [(first.pk, first.name), (second.pk, second.name)]
        survivor = self.fields["survivor"]
        assert isinstance(survivor, forms.TypedChoiceField)
        survivor.choices = choices
        survivor.initial = first.pk  # the older record, by default
        self.differing = [name for name in MERGEABLE_FIELDS if _raw(first, name) != _raw(second, name)]
        for name in self.differing:
            # The first record's value, unless only the second has one.
            filled = second if _empty(first, name) and not _empty(second, name) else first
            self.fields[f"keep_{name}"] = forms.TypedChoiceField(
                label=field_label(name), coerce=int, choices=choices, initial=filled.pk
            )

    def pair(self) -> tuple[Patient, Patient]:
        """(survivor, merged), from valid data."""
        if self.cleaned_data["survivor"] == self.first.pk:
            return self.first, self.second
        return self.second, self.first

    def take(self) -> list[str]:
        """The fields whose value comes from the merged record, from valid data."""
        survivor, _merged = self.pair()
        return [name for name in self.differing if self.cleaned_data[f"keep_{name}"] != survivor.pk]

    def chosen(self, name: str) -> int | None:
        field = self[name]
        value = field.data if self.is_bound else field.initial
        try:
            return int(value)
        except (TypeError, ValueError):
            return None

    def rows(self) -> list[FieldRow]:
        return [
            FieldRow(
                name,
                field_label(name),
                [(patient, shown(patient, name)) for patient in (self.first, self.second)],
                name in self.differing,
                self.chosen(f"keep_{name}") if name in self.differing else None,
                name in _MASKED,
            )
            for name in MERGEABLE_FIELDS
        ]


class HeldRows(NamedTuple):
    label: str
    first: int
    second: int


def held_rows(first: Patient, second: Patient) -> list[HeldRows]:
    """What each record holds (results, visits, cards...), kinds neither holds left out: one query a kind."""
    held = []
    for link in patient_links():
        counts = dict(
            link.model._base_manager.filter(**{f"{link.field.attname}__in": [first.pk, second.pk]})
            .values(link.field.attname)
            .annotate(n=Count("pk"))
            .values_list(link.field.attname, "n")
        )
        if counts:
            held.append(HeldRows(_link_label(link), counts.get(first.pk, 0), counts.get(second.pk, 0)))
    return held


def _link_label(link: PatientLink) -> str:
    label = capfirst(str(link.model._meta.verbose_name_plural))
    if link.field.name != "patient":  # a second reference, e.g. a family link naming this patient
        return f"{label} ({link.field.verbose_name})"
    return label


def field_label(name: str) -> str:
    return capfirst(str(concrete_field(Patient, name).verbose_name))


def shown(patient: Patient, name: str) -> str:
    if name in _MASKED:
        return str(getattr(patient, _MASKED[name]))
    if concrete_field(Patient, name).choices:
        return str(getattr(patient, f"get_{name}_display")())
    value = getattr(patient, name)
    if value is None:
        return ""
    return value.isoformat() if name == "birth_date" else str(value)


def _raw(patient: Patient, name: str) -> Any:
    return getattr(patient, concrete_field(Patient, name).attname)


def _empty(patient: Patient, name: str) -> bool:
    return _raw(patient, name) in ("", None)
