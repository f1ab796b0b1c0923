"""Call recordings' actions: upload, playback and download (each audited), the transcript, and the two
pieces of background work, the playable copy of an AMR recording and the transcriber's text.

A recording's type is read from its content (audio.py); its stored name is random, so that a file name
holding a phone number is never a path in the storage. The name shown is the uploaded one, masked.
"""

import re
import secrets
from pathlib import Path
from tempfile import TemporaryDirectory

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from careloop.accounts import audit
from careloop.accounts.models import AuditEntry, User
from careloop.followup.audio import KINDS, AudioRefused, read_audio
from careloop.followup.contact_models import ContactRecord, Recording
from careloop.followup.playback import DEMUXERS, PLAYBACK_EXTENSION, ConversionFailed, convert_for_playback
from careloop.followup.transcription import configured_transcriber
from careloop.redaction import redact

TRANSCRIPT_MAX_CHARS = 20_000  # Recording.transcript's max_length
_DIGIT_RUN = re.compile(r"\d{7,}")


class RecordingRefused(Exception):
    """An upload not taken; `code` is one of too_large, empty, not_audio, unreadable (the form words it)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code


def masked_file_name(name: str) -> str:
    """The uploaded file's name with phone and ID numbers masked (redaction.py), and any other run of 7 or
    more digits too: a recorder names its files after the number called, in shapes redaction cannot
    know (an 8-digit landline without its area code)."""
    redacted = redact(Path(name).name)
    return _DIGIT_RUN.sub(lambda run: "*" * (len(run[0]) - 4) + run[0][-4:], redacted)[:200]


def needs_playback_copy(recording: Recording) -> bool:
    return recording.media_type in DEMUXERS


def do_upload_recording(user: User, contact: ContactRecord, upload: UploadedFile[bytes]) -> Recording:
    """Store `upload` as a recording of `contact` after checking its size and reading its type and
    duration from its content; queue its playable copy when browsers cannot play it."""
    size = upload.size or 0
    if size > settings.RECORDING_MAX_BYTES:
        raise RecordingRefused("too_large", f"{size} bytes")
    try:
        info = read_audio(upload)
    except AudioRefused as refused:
        raise RecordingRefused(refused.code, str(refused)) from None
    recording = Recording(
        contact=contact,
        original_name=masked_file_name(upload.name or "") or info.kind.name,
        media_type=info.kind.media_type,
        size=size,
        duration_seconds=info.duration_seconds,
        uploaded_by=user,
    )
    recording.file.save(secrets.token_hex(12) + info.kind.extension, upload, save=False)
    try:
        with transaction.atomic():
            recording.save()
            audit.record(
                "recording.upload",
                organization_id=contact.organization_id,
                obj=recording,
                patient_id=contact.patient_id,
                detail={
                    "contact": contact.pk,
                    "size": size,
                    "type": recording.media_type,
                    "name": recording.original_name,
                },
            )
            if needs_playback_copy(recording):
                from careloop.followup.recording_tasks import make_playback_copy

                transaction.on_commit(lambda: make_playback_copy.enqueue(recording.pk))
    except BaseException:
        recording.file.delete(save=False)  # no row names it
        raise
    return recording


def do_record_playback(user: User, recording: Recording, action: str = "recording.play") -> None:
    """The audit entry of one playback (or, with `recording.download`, one download) of `recording`."""
    audit.record(
        action,
        organization_id=recording.contact.organization_id,
        obj=recording,
        patient_id=recording.contact.patient_id,
        actor=user,
        detail={"contact": recording.contact_id},
    )


@transaction.atomic
def do_save_transcript(user: User, recording: Recording, text: str) -> Recording:
    """Replace the transcript; the audit entry says how long it is, never what it says."""
    recording.transcript = text[:TRANSCRIPT_MAX_CHARS]
    recording.save(update_fields=["transcript"])
    _record_transcript(recording, user, "staff")
    return recording


def _record_transcript(recording: Recording, user: User | None, source: str) -> None:
    audit.record(
        "recording.transcript",
        organization_id=recording.contact.organization_id,
        obj=recording,
        patient_id=recording.contact.patient_id,
        actor=user,
        detail={"contact": recording.contact_id, "length": len(recording.transcript), "source": source},
    )


@transaction.atomic
def do_request_transcript(user: User, recording: Recording, language: str) -> None:
    """Queue the configured transcriber's work on `recording` (the views offer it only when one is)."""
    from careloop.followup.recording_tasks import fill_transcript

    audit.record(
        "recording.transcribe",
        organization_id=recording.contact.organization_id,
        obj=recording,
        patient_id=recording.contact.patient_id,
        actor=user,
        detail={"contact": recording.contact_id, "language": language},
    )
    transaction.on_commit(lambda: fill_transcript.enqueue(recording.pk, language))


def _local_copy(recording: Recording, folder: Path) -> Path:
    """The stored original as a file in `folder` (the storage may be a bucket), at most the size limit."""
    path = folder / ("original" + KINDS[recording.media_type].extension)
    limit = settings.RECORDING_MAX_BYTES
    copied = 0
    with recording.file.open("rb") as stored, path.open("wb") as local:
        while piece := stored.read(1 << 20):
            copied += len(piece)
            if copied > limit:
                raise ConversionFailed(f"the stored file is over {limit} bytes")
            local.write(piece)
    return path


def do_make_playback_copy(recording_id: int) -> str:
    """Make and store the playable copy of an AMR recording; "made", "failed" or "not needed". A failure
    is an audit entry (`recording.convert_failed`): the page then offers the original for download."""
    recording = Recording.objects.select_related("contact").get(pk=recording_id)
    if recording.playback_file or not needs_playback_copy(recording):
        return "not needed"
    try:
        with TemporaryDirectory(prefix="careloop-recording-") as folder:
            source = _local_copy(recording, Path(folder))
            target = Path(folder) / ("playback" + PLAYBACK_EXTENSION)
            timeout = settings.RECORDING_CONVERT_TIMEOUT_SECONDS
            convert_for_playback(source, target, recording.media_type, timeout)
            with target.open("rb") as made, transaction.atomic():
                recording.playback_file.save(
                    secrets.token_hex(12) + PLAYBACK_EXTENSION, File(made), save=False
                )
                recording.save(update_fields=["playback_file"])
                _record_conversion(recording, "recording.convert", {})
    except (ConversionFailed, OSError) as failed:
        _record_conversion(recording, "recording.convert_failed", {"reason": redact(str(failed))[:300]})
        return "failed"
    return "made"


def _record_conversion(recording: Recording, action: str, detail: dict[str, str]) -> None:
    audit.record(
        action,
        organization_id=recording.contact.organization_id,
        obj=recording,
        patient_id=recording.contact.patient_id,
        detail={"contact": recording.contact_id, **detail},
    )


def failed_conversions(recordings: list[Recording]) -> set[int]:
    """The recordings among `recordings` (of one patient) whose playable copy could not be made."""
    waiting = [r for r in recordings if needs_playback_copy(r) and not r.playback_file]
    if not waiting:
        return set()
    failed = AuditEntry.objects.filter(
        organization_id=waiting[0].contact.organization_id,
        patient_id=waiting[0].contact.patient_id,
        action="recording.convert_failed",
        object_type="Recording",
        object_id__in=[str(r.pk) for r in waiting],
    ).values_list("object_id", flat=True)
    return {int(pk) for pk in failed}


def do_fill_transcript(recording_id: int, language: str) -> str:
    """The configured transcriber's text, as the transcript of a recording that still has none (a
    transcript typed meanwhile is kept); "filled", "kept" or "no transcriber"."""
    transcriber = configured_transcriber()
    if transcriber is None:
        return "no transcriber"
    recording = Recording.objects.select_related("contact").get(pk=recording_id)
    with TemporaryDirectory(prefix="careloop-recording-") as folder:
        text = transcriber.transcribe(_local_copy(recording, Path(folder)), recording.media_type, language)
    with transaction.atomic():
        filled = Recording.objects.filter(pk=recording.pk, transcript="").update(
            transcript=text[:TRANSCRIPT_MAX_CHARS]
        )
        if not filled:
            return "kept"
        recording.refresh_from_db(fields=["transcript"])
        _record_transcript(recording, None, "transcriber")
    return "filled"
