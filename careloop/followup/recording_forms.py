"""The forms of call recordings: the upload and the transcript."""

from typing import Any

from django import forms
from django.conf import settings
from django.forms.utils import ErrorDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from careloop.followup.recordings import TRANSCRIPT_MAX_CHARS


def refusal_message(code: str) -> str:
    """What the page says about an upload refused with `code` (recordings.RecordingRefused)."""
    if code == "too_large":
        return _("The recording is larger than %(mb)s MB.") % {"mb": max_megabytes()}
    return {
        "empty": _("The file is empty."),
        "not_audio": _(
            "This file is not a call recording we can take: upload an MP3, WAV, M4A or AMR file "
            "(the type is read from the file itself, not from its name)."
        ),
        "unreadable": _("The recording looks damaged: its audio could not be read."),
    }.get(code, _("The recording could not be taken."))


def max_megabytes() -> str:
    return f"{settings.RECORDING_MAX_BYTES / 2**20:g}"


class RecordingUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Call recording"),
        widget=forms.ClearableFileInput(attrs={"accept": "audio/*,.amr"}),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, cut_short: bool = False, **kwargs: Any):
        """`cut_short`: the upload was stopped at the size limit (requestsize.upload_cut_short)."""
        super().__init__(*args, **kwargs)
        self.cut_short = cut_short

    def full_clean(self) -> None:
        if not self.cut_short:
            super().full_clean()
            return
        # The rest of the form never arrived (the body was not read past the limit).
        self._errors = ErrorDict()
        self.cleaned_data = {}
        self.add_error("file", refusal_message("too_large"))


class TranscriptForm(forms.Form):
    transcript = forms.CharField(
        label=gettext_lazy("Transcript"),
        required=False,
        max_length=TRANSCRIPT_MAX_CHARS,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def transcript_form(recording_id: int, data: Any = None, text: str = "") -> TranscriptForm:
    """A recording's transcript form: its fields are named per recording (r<id>-transcript), so that a
    page with several recordings has one element id each."""
    return TranscriptForm(data, initial={"transcript": text}, prefix=f"r{recording_id}")
