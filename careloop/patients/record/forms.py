"""Forms of the health-record sections. Each checks what a clinician would catch on paper."""

import datetime
from typing import Any

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from careloop.patients.forms import DATE
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
from careloop.patients.record import icd10

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class Icd10Input(forms.TextInput):
    """A code box that asks the server for suggestions as one types and offers them in a <datalist>."""

    template_name = "patients/record/widgets/icd10_input.html"

    def __init__(self, attrs: dict[str, Any] | None = None, suggest_url: str = "", fills: str = "") -> None:
        super().__init__({"autocomplete": "off", "spellcheck": "false", **(attrs or {})})
        self.suggest_url = suggest_url
        self.fills = fills  # id of the name box filled from the chosen code

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        attrs = context["widget"]["attrs"]
        attrs["list"] = f"{attrs.get('id', name)}-options"
        attrs.update(
            {
                "hx-get": self.suggest_url,
                "hx-trigger": "input changed delay:250ms, focus once",
                "hx-target": f"#{attrs['list']}",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
                # Choosing a suggestion fills the empty name box with the catalogue's name.
                "hx-on:change": (
                    "var o = this.list && [...this.list.options].find(o => o.value === this.value.trim());"
                    f"var n = document.getElementById('{self.fills}');"
                    "if (o && n && !n.value) n.value = o.dataset.name;"
                ),
            }
        )
        return context


class RecordForm(forms.ModelForm[RecordItem]):
    """Base of the section forms: knows the patient, so widgets can link to the patient's endpoints."""

    wide_fields = frozenset({"note", "diagnoses", "procedures"})  # take a whole row of the form grid

    def __init__(self, *args: Any, patient: Patient, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.patient = patient

    def not_in_future(self, field: str) -> None:
        value = self.cleaned_data.get(field)
        if isinstance(value, datetime.datetime):
            late = value > timezone.now()
        else:
            late = value is not None and value > timezone.localdate()
        if late:
            self.add_error(field, _("This date is in the future."))

    def catalogue_code(self, field: str, required: bool) -> icd10.Entry | None:
        code = (self.cleaned_data.get(field) or "").strip()
        if not code:
            return None
        entry = icd10.lookup(code)
        if entry is None and required:
            self.add_error(
                field,
                _("%(code)s is not in the catalogue of chronic conditions; choose a code from the list.")
                % {"code": code},
            )
        elif entry is not None:
            self.cleaned_data[field] = entry.code
        return entry

    def icd10_widget(self, field: str, fills: str) -> None:
        url = reverse("patients:record:icd10", args=[self.patient.pk])
        self.fields[field].widget = Icd10Input(suggest_url=url, fills=f"id_{fills}")
        self.fields[field].widget.attrs["placeholder"] = _("Code, name or pinyin initials")


class ConditionForm(RecordForm):
    class Meta:
        model = Condition
        fields = ["icd10_code", "name", "onset_date", "clinical_status", "note"]
        widgets = {"onset_date": DATE}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.icd10_widget("icd10_code", fills="name")
        self.fields["name"].required = False
        self.fields["name"].help_text = _("Filled from the ICD-10 code when left empty.")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        entry = self.catalogue_code("icd10_code", required=True)
        if entry is not None and not data.get("name"):
            data["name"] = entry.name(get_language() or "zh-hans")
        self.not_in_future("onset_date")
        return data


class MedicationForm(RecordForm):
    class Meta:
        model = Medication
        fields = ["name", "dose", "route", "frequency", "start_date", "stop_date", "note"]
        widgets = {"start_date": DATE, "stop_date": DATE}

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, stop = data.get("start_date"), data.get("stop_date")
        if start and stop and stop < start:
            self.add_error(
                "stop_date",
                _("The stop date (%(stop)s) is before the start date (%(start)s).")
                % {"stop": stop.isoformat(), "start": start.isoformat()},
            )
        self.not_in_future("start_date")
        return data


class AllergyForm(RecordForm):
    class Meta:
        model = Allergy
        fields = ["substance", "category", "reaction", "severity"]


class LifestyleForm(RecordForm):
    class Meta:
        model = Lifestyle
        fields = [
            "smoking", "cigarettes_per_day", "alcohol", "diet", "salt_intake", "exercise", "sleep_hours",
            "assessed_on",
        ]  # fmt: skip
        widgets = {"assessed_on": DATE}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cigarettes_per_day"].help_text = _("Only for current smokers.")
        self.fields["sleep_hours"].widget.attrs.update({"min": "0", "max": "24", "step": "0.5"})

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        cigarettes = data.get("cigarettes_per_day")
        if cigarettes is not None and data.get("smoking") != "current":
            self.add_error(
                "cigarettes_per_day", _("Cigarettes per day are recorded only for current smokers.")
            )
        elif cigarettes is not None and not 1 <= cigarettes <= 100:
            self.add_error("cigarettes_per_day", _("Enter a number from 1 to 100."))
        sleep = data.get("sleep_hours")
        if sleep is not None and not 0 <= sleep <= 24:
            self.add_error("sleep_hours", _("Sleep must be between 0 and 24 hours a night."))
        self.not_in_future("assessed_on")
        return data


class FamilyHistoryForm(RecordForm):
    class Meta:
        model = FamilyHistory
        fields = ["relative", "icd10_code", "condition", "note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.icd10_widget("icd10_code", fills="condition")
        self.fields["condition"].required = False
        self.fields["condition"].help_text = _("Filled from the ICD-10 code when left empty.")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        # A relative's diagnosis may lie outside the chronic subset, so an unknown code is kept as typed.
        entry = self.catalogue_code("icd10_code", required=False)
        if not data.get("condition"):
            if entry is not None:
                data["condition"] = entry.name(get_language() or "zh-hans")
            else:
                self.add_error("condition", _("Enter the condition, or an ICD-10 code from the catalogue."))
        return data


class EncounterForm(RecordForm):
    class Meta:
        model = Encounter
        fields = ["encounter_class", "admitted_at", "discharged_at", "department", "diagnoses", "procedures"]
        widgets = {"admitted_at": DATETIME, "discharged_at": DATETIME}

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        admitted, discharged = data.get("admitted_at"), data.get("discharged_at")
        if admitted and discharged and discharged < admitted:
            self.add_error("discharged_at", _("The discharge is before the admission."))
        self.not_in_future("admitted_at")
        return data
