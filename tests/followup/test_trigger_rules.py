"""The pure rules behind triggers, stop rules and escalation (followup/trigger_rules.py), by tables."""

import datetime
from typing import Any

import pytest

from careloop.followup.protocol_reading import ProtocolDefinition, read_protocol
from careloop.followup.shipped import shipped_protocol
from careloop.followup.trigger_rules import (
    NEW_EVENT_DAYS,
    diagnoses_match,
    event_key,
    lookback_days,
    plan_over_through,
    rung_after_days,
)

TODAY = datetime.date(2026, 12, 7)


def protocol(*steps: dict[str, Any], escalation: list[dict[str, Any]] | None = None) -> ProtocolDefinition:
    return read_protocol(
        {
            "trigger": {"kind": "discharge"},
            "anchor": "discharge_date",
            "steps": [
                {
                    "channel": "phone",
                    "content": {"kind": "script", "text": {"zh": "问候"}},
                    "assignee": {"kind": "role", "role": "nurse"},
                    **step,
                }
                for step in steps
            ],
            "escalation": escalation or [],
        }
    )


@pytest.mark.parametrize(
    ("diagnoses", "prefixes", "expected"),
    [
        ("I21.0 急性心肌梗死; I10 原发性高血压", ["I10"], True),
        ("I21.0 急性心肌梗死; I10 原发性高血压", ["I21"], True),
        ("I21.0 急性心肌梗死; I10 原发性高血压", ["E11"], False),
        ("i21.0 急性心肌梗死", ["I21"], True),  # a code sent in lower case
        ("急性心肌梗死 I21", ["I21"], False),  # a code is an item's first word
        ("E11.9 2型糖尿病\uff1bI10 高血压", ["I10"], True),  # a full-width separator
        ("", ["I10"], False),
        ("", [], True),  # no prefixes: every discharge
        ("J18.9 肺炎", [], True),
    ],
)
def test_diagnoses_match_the_first_word_of_each_item(diagnoses, prefixes, expected):
    assert diagnoses_match(diagnoses, prefixes) is expected


def test_an_event_counts_as_new_for_a_month_or_until_the_plans_first_contacts_are_over():
    assert lookback_days(protocol({"key": "d3", "offset": "3d"}), TODAY) == NEW_EVENT_DAYS
    assert lookback_days(read_protocol(shipped_protocol("post-discharge").definition), TODAY) == 30
    later = protocol({"key": "d90", "offset": "90d", "window": {"after": 10}})
    assert lookback_days(later, TODAY) == 100
    # Anchored on the enrolment date, a plan starts today whatever the event's age: a month, always.
    assert lookback_days(read_protocol(shipped_protocol("hypertension").definition), TODAY) == NEW_EVENT_DAYS


@pytest.mark.parametrize(
    ("trigger", "expected"),
    [
        ({"kind": "discharge", "encounter": 7, "department": "心内科"}, ("discharge", 7)),
        ({"kind": "diagnosis_added", "condition": 3}, ("diagnosis_added", 3)),
        ({"kind": "tag_added", "patient_tag": 4}, ("tag_added", 4)),
        ({"kind": "abnormal_result", "observation": 5}, ("abnormal_result", 5)),
        ({"kind": "questionnaire_band", "score": 6}, ("questionnaire_band", 6)),
        ({"kind": "manual"}, None),
        ({"kind": "discharge"}, None),
        ({"kind": "discharge", "encounter": "7"}, None),
        ({}, None),
    ],
)
def test_an_enrolments_provenance_names_its_event(trigger, expected):
    assert event_key(trigger) == expected


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        # Day 3, 7 and 30: over once day 30 is before today, for an anchor 31 days ago or earlier.
        ([{"key": "a", "offset": "3d"}, {"key": "b", "offset": "30d"}], TODAY - datetime.timedelta(days=31)),
        ([{"key": "a", "offset": "0d"}], TODAY - datetime.timedelta(days=1)),
        # Monthly three times after the first: the last is three months after the first month.
        (
            [{"key": "a", "offset": "1m", "recurrence": [{"every": "1m", "times": 3}]}],
            datetime.date(2026, 8, 6),
        ),
        ([{"key": "a", "offset": "1m", "recurrence": [{"every": "3m"}]}], None),  # no end
        ([], None),
    ],
)
def test_a_plan_is_over_once_its_last_occurrence_is_due_before_today(steps, expected):
    assert plan_over_through(protocol(*steps), TODAY) == expected


def test_a_rung_is_reached_after_the_days_of_the_rungs_before_it_and_its_own():
    ladder = read_protocol(shipped_protocol("post-discharge").definition).escalation
    assert rung_after_days(ladder) == [2, 4, 6]
    assert [rung.channel for rung in ladder] == ["sms", "phone", ""]
    assert ladder[2].assignee is not None and ladder[2].assignee.role == "admin"
    assert rung_after_days([]) == []
