"""The tag rule editor's form. The rule itself is checked by the model (careloop.rules, with its position)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from careloop.autotags.models import TagRule
from careloop.patients.models import Tag


class TagRuleForm(forms.ModelForm[TagRule]):
    class Meta:
        model = TagRule
        fields = ["tag", "key", "text", "source_note"]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "class": "rule-text"}),
            "source_note": forms.TextInput(attrs={"class": "wide-input"}),
        }
        help_texts = {
            "key": _("Letters, digits and hyphens; it names the rule on the tags it adds."),
            "text": _('For example: age >= 65 and latest("8480-6") >= 140'),
            "source_note": _("The guideline or decision the threshold comes from."),
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        tag = self.fields["tag"]
        assert isinstance(tag, forms.ModelChoiceField)
        tag.queryset = Tag.objects.filter(organization_id=self.instance.organization_id)

    def clean_key(self) -> str:
        key: str = self.cleaned_data["key"]
        taken = TagRule.objects.filter(organization_id=self.instance.organization_id, key=key)
        if taken.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("This organization already has a rule with this key."))
        return key
