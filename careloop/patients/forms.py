from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from careloop.accounts.models import Department, User
from careloop.accounts.roles import Role
from careloop.fieldcrypto import Undecryptable
from careloop.patients.idcard import IdentifierError, parse_mobile, parse_resident_id
from careloop.patients.identity import id_number_index
from careloop.patients.models import Patient, Tag

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

# Deliberately no hint of the expected check digit: that would let a typo be "fixed" into someone
# else's number.
IDENTIFIER_ERRORS = {
    "length": _("The ID number must have 18 characters; it has %(found)s."),
    "shape": _("The ID number must be 17 digits followed by a digit or X."),
    "date": _("The birth date in the ID number (%(date)s) is not a real date."),
    "date_range": _("The birth date in the ID number (%(date)s) is out of range."),
    "check_digit": _("The check digit of the ID number is wrong; please check the number on the card."),
    "mobile_digits": _("The mobile number may contain only digits."),
    "mobile_length": _("The mobile number must have 11 digits; it has %(found)s."),
    "mobile_prefix": _("A mainland mobile number starts with 13 to 19."),
}


def identifier_message(error: IdentifierError) -> str:
    return str(IDENTIFIER_ERRORS[error.code] % error.params)


def mobile_or_stored(raw: str, stored: str) -> str:
    """A form's mobile field: empty keeps the stored number (never sent back to the browser).

    Anything else is validated as a mobile number.
    """
    raw = raw.strip()
    if not raw:
        return stored
    try:
        return parse_mobile(raw)
    except IdentifierError as error:
        raise forms.ValidationError(identifier_message(error)) from None


class PatientForm(forms.ModelForm[Patient]):
    id_number = forms.CharField(label=_("ID number"), required=False, max_length=40)
    mobile = forms.CharField(label=_("Mobile"), required=False, max_length=20)

    class Meta:
        model = Patient
        fields = [
            "name", "sex", "birth_date", "id_type", "id_number", "mobile", "address", "ethnicity",
            "occupation", "insurance_type", "department", "responsible_doctor",
        ]  # fmt: skip
        widgets = {"birth_date": DATE}

    def __init__(self, *args: Any, organization_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization_id = organization_id
        department = cast("forms.ModelChoiceField[Department]", self.fields["department"])
        department.queryset = Department.objects.filter(organization_id=organization_id)
        doctor = cast("forms.ModelChoiceField[User]", self.fields["responsible_doctor"])
        doctor.queryset = User.objects.filter(
            organization_id=organization_id, role=Role.DOCTOR, is_active=True
        )
        self.fields["birth_date"].required = False
        self.fields["birth_date"].help_text = _("Filled from a resident ID number when left empty.")
        if self.instance.pk:
            # Editing never shows a stored identifier back in the form; empty means "keep it".
            self.initial["id_number"] = ""
            self.initial["mobile"] = ""
            self.fields["id_number"].help_text = _("Stored: %(masked)s. Leave empty to keep it.") % {
                "masked": self.instance.masked_id_number or "—"
            }
            self.fields["mobile"].help_text = _("Stored: %(masked)s. Leave empty to keep it.") % {
                "masked": self.instance.masked_mobile or "—"
            }

    def clean_mobile(self) -> str:
        return mobile_or_stored(self.cleaned_data["mobile"], self.instance.mobile if self.instance.pk else "")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        id_type = data.get("id_type")
        raw = (data.get("id_number") or "").strip()
        if not raw and self.instance.pk and id_type == self.instance.id_type:
            data["id_number"] = self.instance.id_number
            raw = ""
        if raw and id_type == "resident":
            try:
                parsed = parse_resident_id(raw)
            except IdentifierError as error:
                self.add_error("id_number", identifier_message(error))
                return data
            data["id_number"] = parsed.number
            if not data.get("birth_date"):
                data["birth_date"] = parsed.birth_date
            elif data["birth_date"] != parsed.birth_date:
                self.add_error(
                    "birth_date",
                    _("Does not match the birth date in the ID number (%(date)s).")
                    % {"date": parsed.birth_date.isoformat()},
                )
            if data.get("sex") in ("male", "female") and data["sex"] != parsed.sex:
                self.add_error("sex", _("Does not match the sex encoded in the ID number."))
        elif raw:
            data["id_number"] = raw.upper()
        if data.get("id_number") and not isinstance(data["id_number"], Undecryptable):
            clash = Patient.objects.filter(
                organization_id=self.organization_id, id_number_index=id_number_index(data["id_number"])
            ).exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("id_number", _("A patient with this ID number is already registered."))
        if not data.get("birth_date") and "birth_date" not in self.errors:
            self.add_error("birth_date", _("Enter the birth date, or a resident ID number."))
        return data

    def save(self, commit: bool = True) -> Patient:
        patient = super().save(commit=False)
        patient.id_number = self.cleaned_data.get("id_number") or ""
        patient.mobile = self.cleaned_data.get("mobile") or ""
        patient.birth_date = self.cleaned_data["birth_date"]
        return patient


class PatientSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=60)
    tag = forms.ModelChoiceField(label=_("Tag"), queryset=Tag.objects.none(), required=False)
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False
    )
    doctor = forms.ModelChoiceField(
        label=_("Responsible doctor"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args: Any, organization_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tag = cast("forms.ModelChoiceField[Tag]", self.fields["tag"])
        tag.queryset = Tag.objects.filter(organization_id=organization_id)
        department = cast("forms.ModelChoiceField[Department]", self.fields["department"])
        department.queryset = Department.objects.filter(organization_id=organization_id)
        doctor = cast("forms.ModelChoiceField[User]", self.fields["doctor"])
        doctor.queryset = User.objects.filter(organization_id=organization_id, role=Role.DOCTOR)
        self.fields["q"].widget.attrs.update(
            {
                "placeholder": _("Name, pinyin initials, last 4 phone digits, card or ID number"),
                "autofocus": True,
            }
        )
