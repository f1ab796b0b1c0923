"""Forms of the organization's administration pages: staff, departments, the password policy (the tag
catalogue's form is the patients app's, `careloop.patients.tag_forms`)."""

from typing import Any, cast

from django import forms
from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _

from careloop.accounts.models import Department, PasswordPolicy, User
from careloop.accounts.password_rules import BOUNDS, PasswordRules
from careloop.accounts.staff_rules import grantable_roles


class StaffForm(forms.ModelForm[User]):
    """A staff member's name, department, role and state, within what the acting administrator may grant."""

    class Meta:
        model = User
        fields = ["username", "display_name", "department", "role", "is_active"]
        labels = {"display_name": _("Name"), "is_active": _("Active (may log in)")}
        help_texts = {"username": _("What they type to log in. Letters, digits and @.+-_ only.")}

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        adding = self.instance.pk is None
        department = cast("forms.ModelChoiceField[Department]", self.fields["department"])
        assert actor.organization_id is not None  # the views let in only staff of an organization
        department.queryset = Department.objects.filter(organization_id=actor.organization_id)
        role = cast(forms.TypedChoiceField, self.fields["role"])
        labels = dict(User._meta.get_field("role").choices or [])
        role.choices = [(r.value, labels[r.value]) for r in grantable_roles(actor.role)]
        self.fields["display_name"].required = True
        if adding:
            del self.fields["is_active"]
        else:
            self.fields["username"].disabled = True
        if self.instance.pk == actor.pk:  # no administrator demotes or locks out themselves
            self.fields["role"].disabled = True
            self.fields["is_active"].disabled = True
            self.fields["role"].help_text = _("Another administrator can change your role.")

    def clean_username(self) -> str:
        username = cast(str, self.cleaned_data["username"])
        others = User.objects.filter(username__iexact=username).exclude(pk=self.instance.pk)
        if self.instance.pk is None and others.exists():
            raise forms.ValidationError(_("This username is taken."))
        return username


class OrganizationNameForm[M: Model](forms.ModelForm[M]):
    """A name unique within the organization, ignoring case (the instance carries the organization)."""

    def same_organization(self) -> QuerySet[M]:
        """The rows of this kind in the instance's organization (the instance itself among them)."""
        raise NotImplementedError

    def clean_name(self) -> str:
        name = cast(str, self.cleaned_data["name"]).strip()
        taken = self.same_organization().filter(name__iexact=name).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("This organization already has one with this name."))
        return name


class DepartmentForm(OrganizationNameForm[Department]):
    class Meta:
        model = Department
        fields = ["name"]

    def same_organization(self) -> QuerySet[Department]:
        return Department.objects.filter(organization_id=self.instance.organization_id)


class PasswordPolicyForm(forms.ModelForm[PasswordPolicy]):
    class Meta:
        model = PasswordPolicy
        fields = ["min_length", "min_classes", "history", "max_age_days"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            low, high = BOUNDS[name]
            field.widget.attrs.update({"min": low, "max": high})

    def rules(self) -> PasswordRules:
        data = self.cleaned_data
        return PasswordRules(data["min_length"], data["min_classes"], data["history"], data["max_age_days"])
