"""A step said in words (step_labels.py chooses the form; wording.py and the `step_label` filter say it)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from careloop.followup.actions import do_enrol, do_install_shipped, do_set_protocol_status
from careloop.followup.models import Task
from careloop.followup.protocol_reading import read_protocol
from careloop.followup.step_labels import StepWording, word_step
from careloop.followup.wording import label_of
from careloop.followup.worklist import Worklist
from tests.factories import make_patient
from tests.followup.helpers import step


def _step(offset: str, channel: str = "phone", recurrence: list[dict[str, object]] | None = None):
    data = step("s", offset, channel=channel, recurrence=recurrence or [])
    return read_protocol({"trigger": {"kind": "manual"}, "anchor": "enrolment_date", "steps": [data]}).steps[
        0
    ]


@pytest.mark.parametrize(
    ("offset", "channel", "recurrence", "number", "expected"),
    [
        ("3d", "phone", None, 0, StepWording("day", 3, "phone")),
        ("0d", "visit", None, 0, StepWording("day", 0, "visit")),
        ("2w", "sms", None, 0, StepWording("week", 2, "sms")),
        ("6m", "visit", None, 0, StepWording("month", 6, "visit")),
        ("1y", "phone", None, 0, StepWording("year", 1, "phone")),
        ("3m", "visit", [{"every": "3m"}], 1, StepWording("quarterly", 0, "visit", occurrence=2)),
        ("12m", "visit", [{"every": "12m"}], 0, StepWording("yearly", 0, "visit", occurrence=1)),
        ("0d", "phone", [{"every": "1y"}], 4, StepWording("yearly", 0, "phone", occurrence=5)),
        ("14d", "phone", [{"every": "1m", "times": 3}, {"every": "3m"}], 2,
         StepWording("monthly", 0, "phone", occurrence=3)),
        ("7d", "wechat", [{"every": "7d"}], 0, StepWording("weekly", 0, "wechat", occurrence=1)),
        ("1m", "phone", [{"every": "6m"}], 0, StepWording("half_yearly", 0, "phone", occurrence=1)),
        ("1m", "phone", [{"every": "5w"}], 0, StepWording("recurring", 0, "phone", occurrence=1)),
    ],
)  # fmt: skip
def test_a_step_is_worded_by_its_offset_or_its_cadence(offset, channel, recurrence, number, expected):
    assert word_step(_step(offset, channel, recurrence), "s", number) == expected


def test_the_agreed_contact_and_an_unknown_key_have_their_own_wording():
    assert word_step(None, "extra", 0).form == "agreed"
    assert word_step(_step("3d"), "extra", 0).form == "agreed"
    assert word_step(None, "call-d9", 0) == StepWording("unknown", key="call-d9")


@pytest.mark.parametrize(
    ("wording", "english"),
    [
        (StepWording("day", 3, "phone"), "Day 3 call"),
        (StepWording("quarterly", 0, "visit", occurrence=2), "Quarterly visit #2"),
        (StepWording("agreed", channel="phone"), "Agreed call-back"),
        (StepWording("unknown", key="call-d9"), "call-d9"),
    ],
)
def test_the_english_labels(wording, english):
    with translation.override("en"):
        assert label_of(wording) == english


@pytest.mark.django_db
def test_the_worklist_labels_steps_with_one_protocol_object_per_version(
    logged_in, org, admin_user, nurse, doctor
):
    protocol = next(p for p in do_install_shipped(org) if p.key == "post-discharge")
    do_set_protocol_status(admin_user, protocol, "active")
    today = timezone.localdate()
    for name in ("甲", "乙"):
        do_enrol(doctor, make_patient(doctor, name=name), protocol, today - datetime.timedelta(days=7))
    Task.objects.update(assignee_role="nurse", assignee_user=None)
    rows, _more = Worklist(nurse, today).page(1)
    assert len(rows) >= 2
    assert len({id(row.task.enrolment.protocol) for row in rows}) == 1
    body = logged_in(nurse).get(reverse("followup:worklist")).content.decode()
    assert 'class="step-label" data-step="call-d7"' in body
