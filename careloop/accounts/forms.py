from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from careloop.accounts.models import User


class AuditFilterForm(forms.Form):
    patient = forms.IntegerField(label=_("Patient number"), required=False, min_value=1)
    user = forms.ModelChoiceField(label=_("User"), queryset=User.objects.none(), required=False)
    action = forms.CharField(label=_("Action"), required=False, max_length=60)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, organization_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user_field = cast("forms.ModelChoiceField[User]", self.fields["user"])
        user_field.queryset = User.objects.filter(organization_id=organization_id).order_by("username")
