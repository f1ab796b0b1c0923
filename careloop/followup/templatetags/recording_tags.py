"""A contact record's recordings as the partial `followup/_recordings.html` shows them: the partial takes
only the contact, so that the worklist, the contact history and the recordings page include it alike."""

from dataclasses import dataclass
from typing import Any

from django import template
from django.http import HttpRequest

from careloop.followup.audio import KINDS, clock_time
from careloop.followup.contact_models import ContactRecord, Recording
from careloop.followup.recording_forms import (
    RecordingUploadForm,
    TranscriptForm,
    max_megabytes,
    transcript_form,
)
from careloop.followup.recordings import failed_conversions
from careloop.followup.transcription import configured_transcriber

register = template.Library()


@dataclass(frozen=True)
class RecordingRow:
    recording: Recording
    playback: str  # ready, preparing (the playable copy is being made), failed (it could not be)
    duration: str
    transcript_form: TranscriptForm


def _playback(recording: Recording, failed: set[int]) -> str:
    if recording.playback_file or KINDS[recording.media_type].browser_plays:
        return "ready"
    return "failed" if recording.pk in failed else "preparing"


@register.simple_tag(takes_context=True)
def recordings_of(context: template.Context, contact: ContactRecord) -> dict[str, Any]:
    request: HttpRequest | None = context.get("request")
    recordings = list(contact.recordings.select_related("uploaded_by"))
    failed = failed_conversions(recordings)
    rows = [
        RecordingRow(
            recording,
            _playback(recording, failed),
            clock_time(recording.duration_seconds),
            transcript_form(recording.pk, text=recording.transcript),
        )
        for recording in recordings
    ]
    # The page that refused an upload passes its form back, with the error, for the contact it was for.
    form = context.get("upload_form")
    if not isinstance(form, RecordingUploadForm) or context.get("upload_contact_id") != contact.pk:
        form = RecordingUploadForm(initial={"next": request.get_full_path() if request else ""})
    return {
        "rows": rows,
        "upload_form": form,
        "can_transcribe": configured_transcriber() is not None,
        "max_mb": max_megabytes(),
        "next": request.get_full_path() if request else "",
    }
