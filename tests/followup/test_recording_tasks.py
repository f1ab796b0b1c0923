"""A recording's background work: the playable copy of an AMR recording (ffmpeg) and the pluggable
transcriber's text."""

import shutil
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from careloop.accounts.models import AuditEntry
from careloop.followup import playback, transcription
from careloop.followup.audio import read_audio
from careloop.followup.contact_models import ContactRecord, Recording
from careloop.followup.recordings import do_upload_recording
from tests.followup.test_audio import amr_bytes
from tests.urlwalk import silence_wav

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
needs_ffmpeg = pytest.mark.skipif(
    shutil.which("ffmpeg") is None, reason="ffmpeg is not installed: run `make system-packages`"
)


class EchoTranscriber:
    """A test-only transcriber: says what it was given."""

    def transcribe(self, path: Path, media_type: str, language: str) -> str:
        return f"{media_type} {language} {path.stat().st_size}"


class NotATranscriber:
    pass


@pytest.fixture
def contact(nurse, patient, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = IMMEDIATE
    return ContactRecord.objects.create(
        organization=nurse.organization, patient=patient, outcome="reached", recorded_by=nurse
    )


@needs_ffmpeg
def test_an_amr_upload_gets_an_mp3_copy_browsers_play(
    logged_in, nurse, contact, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        recording = do_upload_recording(nurse, contact, SimpleUploadedFile("call.amr", amr_bytes([7] * 100)))
    recording.refresh_from_db()
    assert (recording.playback_file.name or "").endswith(".mp3")
    with recording.playback_file.open("rb") as copy:
        info = read_audio(copy)
    assert info.kind.name == "mp3" and 1.9 <= info.duration_seconds <= 2.2
    assert AuditEntry.objects.filter(action="recording.convert", object_id=str(recording.pk)).exists()
    client = logged_in(nurse)
    page = client.get(reverse("recordings:contact", args=[contact.pk])).content.decode()
    assert f'id="recording-{recording.pk}" data-playback="ready"' in page
    played = client.get(reverse("recordings:play", args=[recording.pk]))
    assert played["Content-Type"] == "audio/mpeg"


@needs_ffmpeg
def test_ffmpeg_refusing_the_input_is_a_clear_failure(tmp_path):
    source = tmp_path / "bad.amr"
    source.write_bytes(b"#!AMR\n" + b"\x00" * 3)  # a header and a cut-off frame: nothing to decode
    with pytest.raises(playback.ConversionFailed, match="ffmpeg"):
        playback.convert_for_playback(source, tmp_path / "out.mp3", "audio/amr", timeout_seconds=30)


def test_a_missing_ffmpeg_is_a_clear_failure(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    source = tmp_path / "in.amr"
    source.write_bytes(amr_bytes([7] * 10))
    with pytest.raises(playback.ConversionFailed, match="not installed"):
        playback.convert_for_playback(source, tmp_path / "out.mp3", "audio/amr", timeout_seconds=30)


def test_only_amr_is_converted(tmp_path):
    with pytest.raises(playback.ConversionFailed, match="audio/wav"):
        playback.convert_for_playback(
            tmp_path / "x.wav", tmp_path / "out.mp3", "audio/wav", timeout_seconds=1
        )


def test_no_transcriber_is_configured_by_default(logged_in, nurse, contact, settings):
    settings.TRANSCRIBER = ""
    assert transcription.configured_transcriber() is None
    recording = do_upload_recording(nurse, contact, SimpleUploadedFile("call.wav", silence_wav(0.2)))
    client = logged_in(nurse)
    page = client.get(reverse("recordings:contact", args=[contact.pk])).content.decode()
    assert f'id="transcribe-{recording.pk}"' not in page
    assert client.post(reverse("recordings:transcribe", args=[recording.pk])).status_code == 404


@pytest.mark.parametrize(
    "dotted", ["tests.followup.test_recording_tasks.Nowhere", f"{__name__}.NotATranscriber"]
)
def test_a_transcriber_setting_that_names_no_transcriber_says_so(settings, dotted):
    settings.TRANSCRIBER = dotted
    with pytest.raises(ImproperlyConfigured, match="CARELOOP_TRANSCRIBER"):
        transcription.configured_transcriber()


def test_the_transcribe_button_fills_an_empty_transcript(
    logged_in, nurse, contact, settings, django_capture_on_commit_callbacks
):
    settings.TRANSCRIBER = f"{__name__}.EchoTranscriber"
    assert isinstance(transcription.configured_transcriber(), EchoTranscriber)
    recording = do_upload_recording(nurse, contact, SimpleUploadedFile("call.wav", silence_wav(0.2)))
    client = logged_in(nurse)
    page = client.get(reverse("recordings:contact", args=[contact.pk])).content.decode()
    assert f'id="transcribe-{recording.pk}"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("recordings:transcribe", args=[recording.pk]), HTTP_HX_REQUEST="true")
    assert f'id="transcribing-{recording.pk}"'.encode() in response.content
    recording.refresh_from_db()
    assert recording.transcript == f"audio/wav zh-Hans {recording.size}"
    actions = list(
        AuditEntry.objects.filter(object_id=str(recording.pk), action__startswith="recording.t")
        .order_by("pk")
        .values_list("action", "detail__source")
    )
    assert actions == [("recording.transcribe", None), ("recording.transcript", "transcriber")]


def test_a_transcript_typed_meanwhile_is_kept(nurse, contact, settings):
    from careloop.followup.recordings import do_fill_transcript

    settings.TRANSCRIBER = f"{__name__}.EchoTranscriber"
    recording = do_upload_recording(nurse, contact, SimpleUploadedFile("call.wav", silence_wav(0.2)))
    Recording.objects.filter(pk=recording.pk).update(transcript="护士写的")
    assert do_fill_transcript(recording.pk, "zh-Hans") == "kept"
    recording.refresh_from_db()
    assert recording.transcript == "护士写的"
