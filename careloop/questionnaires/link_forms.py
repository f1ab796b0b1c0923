"""Forms of the staff pages that send questionnaire links: to one patient, or to everyone with a tag."""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from careloop.patients.models import Tag
from careloop.questionnaires.invitations import DEFAULT_DAYS, MAX_DAYS
from careloop.questionnaires.models import Questionnaire


class QuestionnaireChoice(forms.ModelChoiceField[Questionnaire]):
    def label_from_instance(self, obj: Questionnaire) -> str:
        return f"{obj.title} ({obj.get_language_display()})"


class SendLinkForm(forms.Form):
    questionnaire = QuestionnaireChoice(label=_("Questionnaire"), queryset=Questionnaire.objects.none())
    days = forms.IntegerField(
        label=_("Valid for (days)"),
        min_value=1,
        max_value=MAX_DAYS,
        initial=DEFAULT_DAYS,
        help_text=_("After this the link shows that it has expired."),
    )

    def __init__(self, *args: Any, questionnaires: QuerySet[Questionnaire], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["questionnaire"]
        assert isinstance(field, QuestionnaireChoice)
        field.queryset = questionnaires


class SendToTagForm(SendLinkForm):
    tag = forms.ModelChoiceField(label=_("Patients with the tag"), queryset=Tag.objects.none())

    def __init__(self, *args: Any, tags: QuerySet[Tag], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["tag"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = tags
