"""The form of the tag catalogue page (under the organization's administration pages)."""

from typing import cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from careloop.accounts.staff_forms import OrganizationNameForm
from careloop.patients.models import Tag


class TagForm(OrganizationNameForm[Tag]):
    class Meta:
        model = Tag
        fields = ["name", "color", "description"]
        widgets = {"color": forms.TextInput(attrs={"type": "color"})}

    def same_organization(self) -> QuerySet[Tag]:
        return Tag.objects.filter(organization_id=self.instance.organization_id)

    def clean_color(self) -> str:
        color = cast(str, self.cleaned_data["color"]).lower()
        if len(color) != 7 or color[0] != "#" or any(c not in "0123456789abcdef" for c in color[1:]):
            raise forms.ValidationError(_("Choose a colour."))
        return color
