from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from careloop.observations.formats import SUPPORTED_SUFFIXES, parse_mapping
from careloop.observations.models import ImportBatch


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

    def clean_file(self) -> UploadedFile[bytes]:
        upload: UploadedFile[bytes] = self.cleaned_data["file"]
        name = (upload.name or "").lower()  # FileField has refused a file without a name or size
        if not name.endswith(SUPPORTED_SUFFIXES):
            raise forms.ValidationError(
                _("%(name)s is not a supported file type (%(types)s).")
                % {"name": upload.name, "types": ", ".join(SUPPORTED_SUFFIXES)}
            )
        if (upload.size or 0) > settings.IMPORT_MAX_UPLOAD_MB * 1024 * 1024:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB.") % {"mb": settings.IMPORT_MAX_UPLOAD_MB}
            )
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
