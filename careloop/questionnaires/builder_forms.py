"""The builder's forms: the POST of an item, of the scoring rules, of a new questionnaire, of an import.

Rows (answer options, conditions, bands) are posted as parallel lists, one entry per row in each list;
`draft_fields` turns them into FHIR JSON.
"""

import json
from typing import Any

from django import forms
from django.conf import settings
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from careloop.questionnaires.draft_fields import (
    BandRow,
    ConditionRow,
    FlagCondition,
    FlagEdit,
    ItemEdit,
    OptionRow,
    ScoreEdit,
)
from careloop.questionnaires.models import LANGUAGES, Questionnaire

MAX_ROWS = 200  # rows of one kind in one post: far above any real instrument, bounds the work per request


def _rows(data: QueryDict, *names: str) -> list[list[str]]:
    columns = [data.getlist(name)[:MAX_ROWS] for name in names]
    count = max((len(column) for column in columns), default=0)
    return [[column[i] if i < len(column) else "" for column in columns] for i in range(count)]


def read_item_edit(data: QueryDict) -> ItemEdit:
    return ItemEdit(
        link_id=data.get("link_id", ""),
        type=data.get("type", ""),
        text=data.get("text", ""),
        prefix=data.get("prefix", ""),
        required=data.get("required") == "on",
        repeats=data.get("repeats") == "on",
        max_length=data.get("max_length", ""),
        min_value=data.get("min_value", ""),
        max_value=data.get("max_value", ""),
        options=tuple(
            OptionRow(code, display, score, kind or "coding", system)
            for code, display, score, kind, system in _rows(
                data, "option_code", "option_display", "option_score", "option_kind", "option_system"
            )
        ),
        conditions=tuple(
            ConditionRow(question, operator, answer)
            for question, operator, answer in _rows(data, "when_question", "when_operator", "when_answer")
        ),
        behavior=data.get("behavior", "all"),
    )


def read_scoring_edit(data: QueryDict) -> tuple[list[ScoreEdit], list[FlagEdit]]:
    scores = []
    for i in range(min(_count(data, "score_count"), MAX_ROWS)):
        p = f"score-{i}-"
        bands = tuple(
            BandRow(*row)
            for row in _rows(
                data, *(p + f"band_{k}" for k in ("min", "max", "code", "en", "zh", "sex", "policy", "alert"))
            )
        )
        scores.append(
            ScoreEdit(
                code=data.get(p + "code", ""),
                items=tuple(data.getlist(p + "items")[:MAX_ROWS]),
                bands=bands,
                display=data.get(p + "display", ""),
                system=data.get(p + "system", ""),
            )
        )
    flags = []
    for i in range(min(_count(data, "flag_count"), MAX_ROWS)):
        p = f"flag-{i}-"
        when = tuple(FlagCondition(*row) for row in _rows(data, p + "item", p + "operator", p + "score"))
        flags.append(
            FlagEdit(
                data.get(p + "code", ""),
                data.get(p + "en", ""),
                data.get(p + "zh", ""),
                when,
                data.get(p + "alert", ""),
            )
        )
    return scores, flags


def _count(data: QueryDict, name: str) -> int:
    text = data.get(name, "")
    return int(text) if text.isdigit() else 0


class CreateForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    key = forms.SlugField(
        label=gettext_lazy("Key"),
        max_length=40,
        help_text=gettext_lazy(
            "A short name without spaces, e.g. discharge-check; the same in each language."
        ),
    )
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=LANGUAGES)

    def __init__(self, *args: Any, organization_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization_id = organization_id

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        taken = Questionnaire.objects.filter(
            organization_id=self.organization_id, key=data.get("key"), language=data.get("language")
        )
        if data.get("key") and taken.exists():
            self.add_error("key", _("There is already a questionnaire with this key in this language."))
        return data


def import_limit() -> int:
    """Bytes an imported Questionnaire may have: 1 MB holds hundreds of items."""
    limit: int = getattr(settings, "QUESTIONNAIRE_IMPORT_MAX_BYTES", 2**20)
    return limit


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("FHIR Questionnaire file (.json)"), required=False)
    text = forms.CharField(
        label=gettext_lazy("or paste the JSON"), required=False, widget=forms.Textarea(attrs={"rows": 8})
    )
    target = forms.ChoiceField(label=gettext_lazy("Import as"))
    key = forms.SlugField(label=gettext_lazy("Key (for a new questionnaire)"), max_length=40, required=False)
    language = forms.ChoiceField(label=gettext_lazy("Language (for a new questionnaire)"), choices=LANGUAGES)

    def __init__(self, *args: Any, organization_id: int, cut_short: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization_id = organization_id
        self.cut_short = cut_short
        self.existing = {str(q.pk): q for q in Questionnaire.objects.filter(organization_id=organization_id)}
        target = self.fields["target"]
        assert isinstance(target, forms.ChoiceField)
        target.choices = [("new", _("A new questionnaire"))] + [
            (
                pk,
                _("A new version of %(title)s (%(key)s, %(language)s)")
                % {"title": q.title, "key": q.key, "language": q.get_language_display()},
            )
            for pk, q in self.existing.items()
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        too_large = _("The JSON is larger than %(kb)s KB.") % {"kb": import_limit() // 1024}
        if self.cut_short:
            raise forms.ValidationError(too_large)
        upload, text = data.get("file"), data.get("text") or ""
        if upload is not None:
            if (upload.size or 0) > import_limit():  # the size is known before a byte is read
                raise forms.ValidationError(too_large)
            raw = upload.read()
        elif text.strip():
            raw = text.encode("utf-8")
            if len(raw) > import_limit():
                raise forms.ValidationError(too_large)
        else:
            raise forms.ValidationError(_("Choose a file or paste the JSON."))
        try:
            data["definition"] = json.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError, RecursionError) as error:
            raise forms.ValidationError(_("This is not JSON: %(error)s") % {"error": error}) from None
        if data.get("target") == "new":
            self._check_new(data)
        else:
            data["questionnaire"] = self.existing.get(data.get("target", ""))
        return data

    def _check_new(self, data: dict[str, Any]) -> None:
        key = data.get("key") or ""
        if not key:
            self.add_error("key", _("A new questionnaire needs a key."))
        elif Questionnaire.objects.filter(
            organization_id=self.organization_id, key=key, language=data.get("language")
        ).exists():
            self.add_error("key", _("There is already a questionnaire with this key in this language."))
