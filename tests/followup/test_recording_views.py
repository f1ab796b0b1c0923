"""Call recordings on a contact record: upload, playback, download and transcript, scoped and audited."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careloop.accounts.models import AuditEntry
from careloop.followup.contact_models import ContactRecord, Recording
from tests.factories import make_organization, make_user
from tests.followup.test_audio import amr_bytes
from tests.urlwalk import silence_wav

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def contact(nurse, patient):
    return ContactRecord.objects.create(
        organization=nurse.organization, patient=patient, outcome="reached", recorded_by=nurse
    )


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = IMMEDIATE
    return settings.MEDIA_ROOT


def upload(client, contact, data: bytes, name: str = "call.wav", next_url: str = "", **extra):
    url = reverse("recordings:upload", args=[contact.pk])
    return client.post(url, {"file": SimpleUploadedFile(name, data), "next": next_url}, **extra)


def entries(action: str):
    return list(AuditEntry.objects.filter(action=action).order_by("pk"))


def test_a_wav_upload_is_stored_with_its_duration_and_audited(logged_in, nurse, contact, media):
    client = logged_in(nurse)
    back = reverse("recordings:contact", args=[contact.pk]) + "?from=worklist"
    response = upload(client, contact, silence_wav(1.5), name="通话 13812345678 20261207.wav", next_url=back)
    assert response.status_code == 302 and response["Location"] == back
    [recording] = Recording.objects.all()
    assert (recording.media_type, recording.size, recording.duration_seconds) == (
        "audio/wav",
        len(silence_wav(1.5)),
        1.5,
    )
    assert recording.uploaded_by == nurse
    assert "13812345678" not in recording.original_name and "5678" in recording.original_name
    stored_name = recording.file.name or ""
    assert stored_name.startswith("recordings/") and stored_name.endswith(".wav")
    assert "138" not in stored_name  # the stored name is random, never the uploaded one
    assert (media / recording.file.name).read_bytes() == silence_wav(1.5)
    [entry] = entries("recording.upload")
    assert entry.patient_id == contact.patient_id and entry.organization_id == contact.organization_id
    assert entry.detail["contact"] == contact.pk and entry.detail["size"] == recording.size
    assert entry.detail["type"] == "audio/wav" and "13812345678" not in entry.detail["name"]


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", ""])
def test_an_upload_goes_back_only_to_a_page_of_this_site(logged_in, nurse, contact, media, next_url):
    response = upload(logged_in(nurse), contact, silence_wav(0.2), next_url=next_url)
    assert response["Location"] == reverse("recordings:contact", args=[contact.pk])


def test_the_type_is_read_from_the_content_not_the_name(logged_in, nurse, contact, media):
    response = upload(logged_in(nurse), contact, b"%PDF-1.7\n" + bytes(500), name="call.mp3")
    assert response.status_code == 400
    assert b'class="errorlist recording-upload-errors" data-field="file"' in response.content
    assert not Recording.objects.exists() and not entries("recording.upload")


def test_a_recording_over_the_size_limit_is_refused(logged_in, nurse, contact, media, settings):
    settings.RECORDING_MAX_BYTES = 4000
    response = upload(logged_in(nurse), contact, silence_wav(1.0))  # 16 kB
    assert response.status_code == 400
    assert b'data-field="file"' in response.content
    assert not Recording.objects.exists()
    assert not list(media.rglob("*.wav")) if media.exists() else True


def test_a_body_declared_over_the_limit_is_refused_before_it_is_read(logged_in, nurse, contact, settings):
    settings.RECORDING_MAX_BYTES = 4000
    url = reverse("recordings:upload", args=[contact.pk])
    declared = 4000 + settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1
    response = logged_in(nurse).generic("POST", url, b"", CONTENT_LENGTH=str(declared))
    assert response.status_code == 413


def test_another_organizations_contact_and_recording_do_not_exist(logged_in, contact, media):
    stranger = make_user(make_organization("另一家医院"), "nurse")
    client = logged_in(stranger)
    assert upload(client, contact, silence_wav(0.2)).status_code == 404
    assert client.get(reverse("recordings:contact", args=[contact.pk])).status_code == 404
    recording = _stored(contact)
    for name in ("play", "download"):
        assert client.get(reverse(f"recordings:{name}", args=[recording.pk])).status_code == 404
    url = reverse("recordings:transcript", args=[recording.pk])
    assert client.post(url, {f"r{recording.pk}-transcript": "x"}).status_code == 404
    assert not entries("recording.play") and Recording.objects.count() == 1


def test_a_role_without_follow_up_work_is_refused(logged_in, receptionist, contact, media):
    client = logged_in(receptionist)
    assert upload(client, contact, silence_wav(0.2)).status_code == 403
    recording = _stored(contact)
    assert client.get(reverse("recordings:play", args=[recording.pk])).status_code == 403
    assert client.get(reverse("recordings:contact", args=[contact.pk])).status_code == 403


def _stored(contact, data: bytes | None = None, name: str = "call.wav") -> Recording:
    from careloop.followup.recordings import do_upload_recording

    data = silence_wav(0.5) if data is None else data
    return do_upload_recording(contact.recorded_by, contact, SimpleUploadedFile(name, data))


def test_every_playback_is_audited_and_a_seek_is_not_a_new_one(logged_in, nurse, contact, media):
    recording = _stored(contact)
    client = logged_in(nurse)
    url = reverse("recordings:play", args=[recording.pk])
    whole = client.get(url)
    assert whole.status_code == 200 and whole["Content-Type"] == "audio/wav"
    assert b"".join(whole.streaming_content) == silence_wav(0.5)
    first = client.get(url, HTTP_RANGE="bytes=0-")
    assert (
        first.status_code == 206
        and first["Content-Range"] == f"bytes 0-{recording.size - 1}/{recording.size}"
    )
    seek = client.get(url, HTTP_RANGE="bytes=100-199")
    assert seek.status_code == 206 and b"".join(seek.streaming_content) == silence_wav(0.5)[100:200]
    assert client.get(url, HTTP_RANGE=f"bytes={recording.size}-").status_code == 416
    played = entries("recording.play")
    assert len(played) == 2  # the whole file, and the playback starting at byte 0; not the seek
    assert {e.actor_id for e in played} == {nurse.pk} and played[0].patient_id == contact.patient_id


def test_the_page_shows_a_player_for_a_playable_recording(logged_in, nurse, contact, media):
    recording = _stored(contact)
    response = logged_in(nurse).get(reverse("recordings:contact", args=[contact.pk]))
    body = response.content.decode()
    assert f'id="recording-{recording.pk}" data-playback="ready"' in body
    assert (
        f'preload="none" class="recording-player" src="{reverse("recordings:play", args=[recording.pk])}"'
        in body
    )
    assert 'accept="audio/*,.amr"' in body
    assert entries("patient.view")[-1].detail == {"section": "recordings"}


def test_the_transcript_is_saved_in_place_and_audited_without_its_words(logged_in, nurse, contact, media):
    recording = _stored(contact)
    url = reverse("recordings:transcript", args=[recording.pk])
    field = f"r{recording.pk}-transcript"
    response = logged_in(nurse).post(url, {field: "  患者说血压稳定。 "}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and b'data-saved="true"' in response.content
    recording.refresh_from_db()
    assert recording.transcript == "患者说血压稳定。"
    [entry] = entries("recording.transcript")
    assert entry.detail == {"contact": contact.pk, "length": 8, "source": "staff"}
    too_long = logged_in(nurse).post(url, {field: "字" * 20_001}, HTTP_HX_REQUEST="true")
    assert too_long.status_code == 400 and b'data-saved="false"' in too_long.content
    recording.refresh_from_db()
    assert recording.transcript == "患者说血压稳定。"


def test_an_amr_recording_waits_for_its_playback_copy_then_offers_the_original_if_it_fails(
    logged_in, nurse, contact, media, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}  # not run yet
    with django_capture_on_commit_callbacks(execute=True):
        recording = _stored(contact, amr_bytes([7] * 100), name="call.amr")
    assert recording.media_type == "audio/amr" and recording.duration_seconds == 2.0
    page = reverse("recordings:contact", args=[contact.pk])
    client = logged_in(nurse)
    assert b'data-playback="preparing"' in client.get(page).content
    assert client.get(reverse("recordings:play", args=[recording.pk])).status_code == 404

    from careloop.followup.recordings import do_make_playback_copy

    settings.RECORDING_MAX_BYTES = 100  # the stored file is now over the limit: no copy is made
    assert do_make_playback_copy(recording.pk) == "failed"
    assert entries("recording.convert_failed")[0].object_id == str(recording.pk)
    body = client.get(page).content.decode()
    assert 'data-playback="failed"' in body
    download = client.get(reverse("recordings:download", args=[recording.pk]))
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == amr_bytes([7] * 100)
    assert len(entries("recording.download")) == 1


def test_the_list_costs_the_same_queries_for_one_recording_or_many(logged_in, nurse, contact, media):
    client = logged_in(nurse)
    url = reverse("recordings:contact", args=[contact.pk])
    _stored(contact)
    client.get(url)  # the session and the user are cached from here on
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(4):
        _stored(contact, amr_bytes([7] * 10), name="call.amr")  # waiting for a copy: one more lookup
    with CaptureQueriesContext(connection) as five:
        assert client.get(url).content.count(b'class="recording"') == 5
    assert len(five) <= len(one) + 1  # the failed-conversion lookup, once for all of them
