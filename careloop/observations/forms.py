from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.forms.utils import ErrorDict
from django.utils.translation import gettext_lazy as _

from careloop.observations import flags
from careloop.observations.catalogue import Indicator
from careloop.observations.language import in_chinese
from careloop.observations.models import ImportBatch
from careloop.observations.sources.formats import SUPPORTED_SUFFIXES, parse_mapping
from careloop.observations.trends.display import indicator_name


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "FHIR NDJSON or Bundle (.ndjson, .json), HL7 v2 (.hl7, .txt), CSV or Excel (.csv, .xlsx)."
        ),
    )
    mode = forms.ChoiceField(
        label=_("When some rows are wrong"), choices=ImportBatch.MODES, initial="keep_good"
    )
    source_system = forms.CharField(
        label=_("Source system"),
        max_length=60,
        required=False,
        help_text=_(
            "The hospital system or health-check centre the file comes from; used to recognise re-imports."
        ),
    )
    mapping = forms.CharField(
        label=_("Column mapping (CSV and Excel)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "id_number=证件号码\nindicator=项目名称"}),
        help_text=_("Only for a hospital's own export: one line per column, our field = their header."),
    )

    def __init__(self, *args: Any, cut_short: bool = False, **kwargs: Any):
        """`cut_short`: the upload was stopped at the size limit (requestsize.upload_cut_short)."""
        super().__init__(*args, **kwargs)
        self.cut_short = cut_short

    def full_clean(self) -> None:
        if not self.cut_short:
            super().full_clean()
            return
        # The rest of the form never arrived (the body was not read past the limit): the file's size is
        # the one thing to fix, so it is the one error shown.
        self._errors = ErrorDict()
        self.cleaned_data = {}
        self.add_error("file", self._too_large())

    def _too_large(self) -> str:
        return _("The file is larger than %(mb)s MB.") % {"mb": settings.IMPORT_MAX_UPLOAD_MB}

    def clean_file(self) -> UploadedFile[bytes]:
        upload: UploadedFile[bytes] = self.cleaned_data["file"]
        name = (upload.name or "").lower()  # FileField has refused a file without a name or size
        if not name.endswith(SUPPORTED_SUFFIXES):
            raise forms.ValidationError(
                _("%(name)s is not a supported file type (%(types)s).")
                % {"name": upload.name, "types": ", ".join(SUPPORTED_SUFFIXES)}
            )
        if (upload.size or 0) > settings.IMPORT_MAX_UPLOAD_MB * 1024 * 1024:
            raise forms.ValidationError(self._too_large())
        return upload

    def clean_mapping(self) -> dict[str, str]:
        try:
            return parse_mapping(self.cleaned_data["mapping"].splitlines())
        except ValueError as error:
            raise forms.ValidationError(
                _("Line %(number)s: write our field = their header, e.g. id_number=证件号码.")
                % {"number": error.args[0]}
            ) from None


class MatchForm(forms.Form):
    patient = forms.IntegerField(label=_("Patient"), min_value=1)


class CriticalLimitsForm(forms.Form):
    """An organization's critical limits for an indicator, in its canonical unit.

    Both blank: the catalogue's again."""

    low = forms.FloatField(label=_("Critically low below"), required=False)
    high = forms.FloatField(label=_("Critically high above"), required=False)

    def __init__(self, indicator: Indicator, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.indicator = indicator

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("low"), data.get("high")
        if self.errors or (low is None and high is None):
            return data  # both blank: back to the catalogue's
        problem = flags.critical_limits_problem(self.indicator, low, high)
        if problem == "implausible":
            raise forms.ValidationError(
                _("A limit must lie between %(min)s and %(max)s %(unit)s, the values %(name)s accepts.")
                % {
                    "min": f"{self.indicator.plausible_min:g}",
                    "max": f"{self.indicator.plausible_max:g}",
                    "unit": self.indicator.unit_display,
                    "name": indicator_name(self.indicator, in_chinese()),
                }
            )
        if problem == "order":
            raise forms.ValidationError(
                _("The low limit must be below the high one (a blank side keeps the catalogue's limit).")
            )
        return data
