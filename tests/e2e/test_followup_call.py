"""Issue 25's whole loop in a browser: two discharges arrive over MLLP (HL7 ADT^A03); both patients are
enrolled in the post-discharge protocol; a nurse logs in, opens today's first task, records the call's
outcome with its recording from the keyboard; the task leaves the list and the next one is on top, due
tomorrow."""

import datetime
import io
import wave

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from careloop.accounts.models import AuditEntry
from careloop.followup.actions import do_install_shipped
from careloop.followup.contact_models import ContactRecord, Recording
from careloop.followup.models import Enrolment
from careloop.observations.sources.hl7v2.mllp import send
from tests.followup.test_import_triggers import IMMEDIATE
from tests.observations.helpers import address, importing_listener
from tests.observations.test_mllp_import import msa

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = "/tmp/followup-call"


def discharge(name: str, id_number: str, visit: str, days_ago: int) -> list[bytes]:
    """The admission and discharge (A01, A03) of one inpatient stay in 心内科, `days_ago` days ago."""
    left = timezone.localtime() - datetime.timedelta(days=days_ago)
    admitted = (left - datetime.timedelta(days=5)).strftime("%Y%m%d%H%M%S")
    messages = []
    for trigger, discharged in (("A01", ""), ("A03", left.strftime("%Y%m%d%H%M%S"))):
        segments = [
            rf"MSH|^~\&|HIS|HOSP-A|CARELOOP|CL|{admitted}||ADT^{trigger}|{visit}-{trigger}|P|2.5",
            f"EVN|{trigger}|{admitted}",
            f"PID|1||{visit}^^^HOSP-A^MR~{id_number}^^^^ID||{name}||19700501|M",
            "PV1|1|I|心内科^0301^02" + "|" * 16 + visit + "|" * 25 + f"{admitted}|{discharged}",
            "DG1|1||I21.0^急性心肌梗死^ICD10||20240401|F",
        ]
        messages.append(("\r".join(segments) + "\r").encode())
    return messages


def one_second_of_sound() -> bytes:
    sound = io.BytesIO()
    with wave.open(sound, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\0\0" * 8000)
    return sound.getvalue()


@pytest.fixture
def post_discharge(org):
    chosen = next(p for p in do_install_shipped(org) if p.key == "post-discharge")
    chosen.status = "active"
    chosen.save(update_fields=["status"])
    return chosen


def test_a_discharge_becomes_a_call_the_nurse_records_with_its_recording(
    login_page, live_server, org, nurse, post_discharge, settings
):
    settings.TASKS = IMMEDIATE
    # Seven days ago: the day-7 call is due today. Six days ago: due tomorrow.
    messages = discharge("钱伟", "110105197005010035", "V-4001", 7)
    messages += discharge("孙丽", "110105197005010051", "V-4002", 6)
    with importing_listener(org) as listener:
        answers = send(*address(listener), messages)
    assert [msa(answer) for answer in answers] == [b"AA"] * 4
    assert Enrolment.objects.filter(protocol=post_discharge).count() == 2

    page = login_page(nurse)
    page.goto(f"{live_server.url}/followup/")
    rows = page.locator("#worklist .task-row")
    today, tomorrow = timezone.localdate(), timezone.localdate() + datetime.timedelta(days=1)
    expect(rows.first).to_have_attribute("data-due", today.isoformat())
    expect(rows.first.locator(".task-link")).to_have_text("钱伟")
    page.screenshot(path=f"{SHOTS}/worklist.png", full_page=True)
    first_task = rows.first.get_attribute("data-task")

    rows.first.locator(".task-link").click()
    expect(page.locator("#patient-banner")).to_contain_text("钱伟")
    page.keyboard.press("1")  # reached
    expect(page.locator('#outcomes input[value="reached"]')).to_be_checked()
    page.keyboard.press("n")
    page.keyboard.type("恢复良好，已告知复诊时间。")  # noqa: RUF001
    page.set_input_files(
        "#id_recording",
        files=[{"name": "通话.wav", "mimeType": "audio/wav", "buffer": one_second_of_sound()}],
    )
    page.screenshot(path=f"{SHOTS}/task.png", full_page=True)
    page.keyboard.press("Control+Enter")

    # Nothing else is due today: back on the list, the recorded task gone, tomorrow's call on top.
    expect(page).to_have_url(f"{live_server.url}/followup/")
    expect(page.locator(f'#worklist .task-row[data-task="{first_task}"]')).to_have_count(0)
    expect(rows.first).to_have_attribute("data-due", tomorrow.isoformat())
    expect(rows.first.locator(".task-link")).to_have_text("孙丽")
    expect(page.locator('#worklist-counts [data-count="done"] strong')).to_have_text("1")
    page.screenshot(path=f"{SHOTS}/after.png", full_page=True)

    contact = ContactRecord.objects.get()
    assert (contact.outcome, contact.recorded_by, str(contact.task_id)) == ("reached", nurse, first_task)
    recording = Recording.objects.get(contact=contact)
    assert recording.media_type == "audio/wav" and recording.duration_seconds == pytest.approx(1.0)
    assert AuditEntry.objects.filter(action="recording.upload", patient_id=contact.patient_id).exists()
