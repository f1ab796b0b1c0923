"""The demo clinic's follow-up calls: one patient reached, with a recording of the call; one tried three
times without reaching anyone, so lost to follow-up with an alert to the doctor. Both through the same
actions the task page uses."""

import io
import math
import wave

from django.core.files.uploadedfile import SimpleUploadedFile

from careloop.accounts.models import Organization, User
from careloop.followup.contacts import ContactInput, do_record_contact
from careloop.followup.models import Task
from careloop.followup.recordings import do_upload_recording

UNREACHED_ATTEMPTS = ("no_answer", "busy", "switched_off")


def record_demo_contacts(organization: Organization) -> tuple[int, int]:
    """Contacts recorded, enrolments lost to follow-up."""
    nurse = User.objects.get(organization=organization, username="nurse")
    pending = Task.objects.filter(organization=organization, status="pending").select_related("enrolment")
    discharge = pending.filter(enrolment__protocol__key="post-discharge").order_by("due").first()
    chronic = pending.filter(enrolment__protocol__key="hypertension").order_by("due").first()
    recorded = lost = 0
    if discharge is not None:
        contact = do_record_contact(
            nurse,
            discharge,
            ContactInput("reached", note="恢复良好，按时服药；已告知复诊时间及需立即就医的情况。"),  # noqa: RUF001
        )
        do_upload_recording(nurse, contact, SimpleUploadedFile("随访通话.wav", _tone(), "audio/wav"))
        recorded += 1
    if chronic is not None:
        for outcome in UNREACHED_ATTEMPTS:
            do_record_contact(nurse, chronic, ContactInput(outcome, note="电话未接通"))
            recorded += 1
        chronic.enrolment.refresh_from_db()
        lost += chronic.enrolment.status == "lost"
    return recorded, lost


def _tone(seconds: int = 3, rate: int = 8000) -> bytes:
    """A quiet 440 Hz tone: a playable stand-in for a call (the demo ships no one's voice)."""
    sound = io.BytesIO()
    with wave.open(sound, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        samples = (int(3000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(seconds * rate))
        out.writeframes(b"".join(sample.to_bytes(2, "little", signed=True) for sample in samples))
    return sound.getvalue()
