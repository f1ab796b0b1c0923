"""Forms of the card, family and consent tabs.

Actions check the rules again; forms say it per field first.
"""

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from careloop.patients import choices
from careloop.patients.consent import requires_guardian
from careloop.patients.forms import mobile_or_stored
from careloop.patients.membership.actions import giver_refusals
from careloop.patients.models import ConsentEvent, FamilyLink, Patient


class IssueCardForm(forms.Form):
    tier = forms.ChoiceField(label=_("Tier"), choices=choices.CARD_TIERS, initial="standard")
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class ReplaceCardForm(forms.Form):
    tier = forms.ChoiceField(label=_("Tier of the new card"), choices=choices.CARD_TIERS)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class CardReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class FamilyLinkForm(forms.ModelForm[FamilyLink]):
    """A family member: an existing patient chosen from the search, or a name and mobile typed in."""

    related_mobile = forms.CharField(label=_("Mobile"), max_length=20, required=False)

    class Meta:
        model = FamilyLink
        fields = [
            "related_patient",
            "related_name",
            "related_mobile",
            "relationship",
            "is_guardian",
            "can_act_for",
        ]

    def __init__(self, *args: Any, patient: Patient, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.patient = patient
        related_patient = cast("forms.ModelChoiceField[Patient]", self.fields["related_patient"])
        related_patient.queryset = Patient.objects.filter(
            organization_id=patient.organization_id, merged_into__isnull=True
        ).exclude(pk=patient.pk)
        self.fields["related_patient"].widget = forms.HiddenInput()
        self.fields["related_patient"].error_messages["invalid_choice"] = _(
            "That patient cannot be chosen; search again."
        )
        self.fields["related_name"].required = False
        self.fields["related_name"].help_text = _("Not needed when an existing patient is chosen above.")
        if self.instance.pk:
            # Like the patient form: a stored number is never sent back to the browser.
            self.initial["related_mobile"] = ""
            if self.instance.related_mobile:
                self.fields["related_mobile"].help_text = _("Stored: %(masked)s. Leave empty to keep it.") % {
                    "masked": self.instance.masked_mobile
                }

    def clean_related_mobile(self) -> str:
        stored = self.instance.related_mobile if self.instance.pk else ""
        return mobile_or_stored(self.cleaned_data["related_mobile"], stored)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        nobody = not data.get("related_patient") and not (data.get("related_name") or "").strip()
        if nobody and "related_patient" not in self.errors:
            self.add_error(
                "related_name", _("Enter the family member's name, or choose an existing patient.")
            )
        return data

    @property
    def chosen_patient(self) -> Patient | None:
        """The patient picked in the search, to show it again when the form comes back with errors."""
        if self.is_bound:
            return self.cleaned_data.get("related_patient") if hasattr(self, "cleaned_data") else None
        return self.instance.related_patient if self.instance.pk else None


DECISIONS = [("grant", _("Grant")), ("withdraw", _("Withdraw"))]


class ConsentForm(forms.ModelForm[ConsentEvent]):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=DECISIONS, widget=forms.RadioSelect, initial="grant"
    )
    guardian_link = forms.TypedChoiceField(
        label=_("Guardian on file"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("Fills in the guardian's name and relationship from the family list."),
    )

    class Meta:
        model = ConsentEvent
        fields = ["purpose", "given_by", "guardian_name", "guardian_relationship", "method", "note"]

    def __init__(self, *args: Any, patient: Patient, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.age = patient.age()
        self.needs_guardian = requires_guardian(self.age)
        self.guardian_links = {
            link.pk: link for link in FamilyLink.objects.filter(patient=patient, is_guardian=True)
        }
        cast(forms.TypedChoiceField, self.fields["guardian_link"]).choices = [("", "—")] + [
            (pk, f"{link.related_name} · {link.get_relationship_display()}")
            for pk, link in self.guardian_links.items()
        ]
        if self.needs_guardian:
            self.fields["given_by"].initial = "guardian"  # the template explains why, above the form

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        link = self.guardian_links.get(data.get("guardian_link") or 0)
        if link is not None and data.get("given_by") == "guardian":
            data["guardian_name"] = data.get("guardian_name") or link.related_name
            data["guardian_relationship"] = data.get("guardian_relationship") or link.relationship
        if self.errors:
            return data
        event = ConsentEvent(
            granted=data.get("decision") == "grant",
            given_by=data.get("given_by") or "",
            guardian_name=data.get("guardian_name") or "",
            guardian_relationship=data.get("guardian_relationship") or "",
        )
        for refusal in giver_refusals(self.patient, event):
            self.add_error(refusal.field, refusal.message)
        return data

    def event(self) -> ConsentEvent:
        data = self.cleaned_data
        event = self.save(commit=False)
        event.granted = data["decision"] == "grant"
        event.guardian_name = data.get("guardian_name") or ""
        event.guardian_relationship = data.get("guardian_relationship") or ""
        return event
