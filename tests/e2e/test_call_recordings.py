"""A nurse uploads a call recording to a contact record, plays it and types its transcript, in a real
browser; the playback is in the audit trail."""

import pytest
from playwright.sync_api import expect

from careloop.accounts.models import AuditEntry
from careloop.followup.contact_models import ContactRecord, Recording
from tests.urlwalk import silence_wav

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = "/tmp/recordings"


def test_a_nurse_uploads_plays_and_transcribes_a_call_recording(
    login_page, live_server, nurse, patient, tmp_path
):
    contact = ContactRecord.objects.create(
        organization=nurse.organization,
        patient=patient,
        outcome="reached",
        note="血压复查",
        recorded_by=nurse,
    )
    sample = tmp_path / "通话 13812345678.wav"
    sample.write_bytes(silence_wav(3.0))

    page = login_page(nurse)
    page.goto(f"{live_server.url}/recordings/contact/{contact.pk}/")
    expect(page.locator(f"#recordings-{contact.pk} .recordings-none")).to_be_visible()
    page.set_input_files(f"#recording-file-{contact.pk}", str(sample))
    page.click(f"#recording-upload-{contact.pk} button[type=submit]")

    recording = page.locator(f"#recordings-{contact.pk} li.recording")
    expect(recording).to_have_count(1)
    expect(recording).to_have_attribute("data-playback", "ready")
    expect(recording.locator(".recording-duration")).to_have_text("0:03")
    expect(recording.locator(".recording-name")).not_to_contain_text("13812345678")
    stored = Recording.objects.get()
    player = recording.locator("audio.recording-player")
    expect(player).to_have_attribute("src", f"/recordings/{stored.pk}/play/")
    expect(player).to_have_attribute("preload", "none")

    # Muted, a page may start playback without a click (Chromium's autoplay policy).
    player.evaluate("audio => { audio.muted = true; return audio.play(); }")
    page.wait_for_function("document.querySelector('audio.recording-player').currentTime > 0")
    assert AuditEntry.objects.filter(action="recording.play", object_id=str(stored.pk), actor=nurse).exists()

    page.fill(f"#id_r{stored.pk}-transcript", "患者说最近血压稳定。")
    page.click(f"#transcript-save-{stored.pk}")
    expect(page.locator(f"#transcript-{stored.pk}")).to_have_attribute("data-saved", "true")
    stored.refresh_from_db()
    assert stored.transcript == "患者说最近血压稳定。"
    page.screenshot(path=f"{SCREENSHOTS}/contact-recordings.png", full_page=True)

    not_audio = tmp_path / "报告.mp3"
    not_audio.write_bytes(b"%PDF-1.7\n" + bytes(200))
    page.set_input_files(f"#recording-file-{contact.pk}", str(not_audio))
    page.click(f"#recording-upload-{contact.pk} button[type=submit]")
    expect(page.locator(".recording-upload-errors")).to_be_visible()
    page.screenshot(path=f"{SCREENSHOTS}/refused.png", full_page=True)
    assert Recording.objects.count() == 1
