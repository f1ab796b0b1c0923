"""Call recordings' pages: a contact record's recordings (with the upload form), playback and download of
one recording (each audited), its transcript."""

from collections.abc import Iterator
from typing import IO

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from careloop.accounts.requests import StaffRequest
from careloop.followup.audio import KINDS
from careloop.followup.contact_models import ContactRecord, Recording
from careloop.followup.contact_scoping import contact_for_user, recording_for_user
from careloop.followup.playback import PLAYBACK_MEDIA_TYPE
from careloop.followup.recording_forms import RecordingUploadForm, refusal_message, transcript_form
from careloop.followup.recordings import (
    RecordingRefused,
    do_record_playback,
    do_request_transcript,
    do_save_transcript,
    do_upload_recording,
)
from careloop.followup.transcription import configured_transcriber
from careloop.httpranges import UnsatisfiableRange, requested_range
from careloop.patients.actions import record_view
from careloop.requestsize import accepts_upload, upload_cut_short

_CHUNK = 64 * 1024


def _back(request: StaffRequest, next_url: str, contact: ContactRecord) -> HttpResponse:
    if next_url and url_has_allowed_host_and_scheme(
        next_url, {request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(next_url)
    return redirect("recordings:contact", contact.pk)


def _page(
    request: StaffRequest, contact: ContactRecord, form: RecordingUploadForm | None = None, status: int = 200
) -> HttpResponse:
    record_view(request.user, contact.patient, "recordings")
    context = {
        "contact": contact,
        "patient": contact.patient,
        "upload_form": form,
        "upload_contact_id": contact.pk,
    }
    return render(request, "followup/contact_recordings.html", context, status=status)


@login_required
@require_GET
def contact_recordings(request: StaffRequest, contact_id: int) -> HttpResponse:
    return _page(request, contact_for_user(request.user, contact_id))


@accepts_upload(lambda: settings.RECORDING_MAX_BYTES)
@login_required
@require_POST
def upload(request: StaffRequest, contact_id: int) -> HttpResponse:
    contact = contact_for_user(request.user, contact_id)
    form = RecordingUploadForm(request.POST, request.FILES, cut_short=upload_cut_short(request) is not None)
    if not form.is_valid():
        return _page(request, contact, form, status=400)
    try:
        do_upload_recording(request.user, contact, form.cleaned_data["file"])
    except RecordingRefused as refused:
        form.add_error("file", refusal_message(refused.code))
        return _page(request, contact, form, status=400)
    messages.success(request, _("Recording uploaded."))
    return _back(request, form.cleaned_data["next"], contact)


def _stream(handle: IO[bytes], length: int) -> Iterator[bytes]:
    with handle:
        while length > 0 and (piece := handle.read(min(_CHUNK, length))):
            length -= len(piece)
            yield piece


def _serve(request: StaffRequest, recording: Recording, playable: bool) -> HttpResponseBase:
    """The recording's playable copy (or its original when browsers play that) or, not `playable`, the
    original as a download. A playback answers one byte range when asked (seeking in a long call)."""
    if not playable:
        do_record_playback(request.user, recording, "recording.download")
        handle = recording.file.open("rb")
        return FileResponse(handle, as_attachment=True, filename=recording.original_name)
    stored, media_type = recording.file, recording.media_type
    if recording.playback_file:
        stored, media_type = recording.playback_file, PLAYBACK_MEDIA_TYPE
    elif not KINDS[recording.media_type].browser_plays:
        raise Http404("The playback copy is not ready")
    size = stored.size
    try:
        asked = requested_range(request.headers.get("Range", ""), size)
    except UnsatisfiableRange:
        refused = HttpResponse(status=416)
        refused["Content-Range"] = f"bytes */{size}"
        return refused
    if asked is None or asked[0] == 0:  # a playback starts at 0; a seek later in it is the same playback
        do_record_playback(request.user, recording)
    first, last = asked or (0, size - 1)
    handle = stored.open("rb")
    handle.seek(first)
    response = StreamingHttpResponse(_stream(handle, last - first + 1), content_type=media_type)
    if asked is not None:
        response.status_code = 206
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    response["Content-Length"] = str(last - first + 1)
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def play(request: StaffRequest, recording_id: int) -> HttpResponseBase:
    return _serve(request, recording_for_user(request.user, recording_id), playable=True)


@login_required
@require_GET
def download(request: StaffRequest, recording_id: int) -> HttpResponseBase:
    return _serve(request, recording_for_user(request.user, recording_id), playable=False)


@login_required
@require_POST
def transcript(request: StaffRequest, recording_id: int) -> HttpResponse:
    recording = recording_for_user(request.user, recording_id)
    form = transcript_form(recording.pk, request.POST)
    saved = form.is_valid()
    if saved:
        recording = do_save_transcript(request.user, recording, form.cleaned_data["transcript"])
    if request.htmx:
        context = {"recording": recording, "form": form, "saved": saved, "next": request.POST.get("next", "")}
        return render(request, "followup/_transcript.html", context, status=200 if saved else 400)
    if saved:
        messages.success(request, _("Transcript saved."))
    else:
        messages.error(request, _("The transcript is too long."))
    return _back(request, request.POST.get("next", ""), recording.contact)


@login_required
@require_POST
def transcribe(request: StaffRequest, recording_id: int) -> HttpResponse:
    recording = recording_for_user(request.user, recording_id)
    if configured_transcriber() is None:
        raise Http404("No transcriber is configured")
    language = translation.to_locale(settings.LANGUAGE_CODE).replace("_", "-")  # BCP 47: zh-Hans
    do_request_transcript(request.user, recording, language)
    if request.htmx:
        return render(request, "followup/_transcribing.html", {"recording": recording})
    messages.success(request, _("Transcription requested: the transcript appears when it is done."))
    return _back(request, request.POST.get("next", ""), recording.contact)
