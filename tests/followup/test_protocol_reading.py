"""Protocol definitions read from JSON (followup/protocol_reading.py): table cases, errors by path."""

import copy

import pytest

from careloop.followup.protocol_reading import ProtocolError, read_protocol
from careloop.followup.shipped import SHIPPED, shipped_protocol

VALID = {
    "trigger": {"kind": "discharge", "departments": ["心内科"], "diagnosis_prefixes": ["I21"]},
    "anchor": "discharge_date",
    "steps": [
        {
            "key": "call-d3",
            "offset": "3d",
            "window": {"before": 1, "after": 11},
            "channel": "phone",
            "content": {"kind": "script", "text": {"zh": "询问恢复情况", "en": "Ask about recovery"}},
            "assignee": {"kind": "responsible_doctor"},
        },
        {
            "key": "survey",
            "offset": "7d",
            "channel": "portal",
            "content": {"kind": "questionnaire", "key": "post-discharge"},
            "assignee": {"kind": "role", "role": "nurse"},
        },
        {
            "key": "visit",
            "offset": "1m",
            "channel": "visit",
            "content": {"kind": "article", "ref": "articles/after-discharge"},
            "assignee": {"kind": "user", "username": "nurse-li"},
            "recurrence": [{"every": "1m", "times": 3}, {"every": "3m"}],
        },
    ],
    "stop_rules": [
        {"kind": "deceased"},
        {"kind": "consent_withdrawn"},
        {"kind": "goal_met", "rule": 'latest("8480-6") < 140'},
    ],
    "escalation": [
        {"after_days": 2, "channel": "sms"},
        {"after_days": 2, "channel": "phone"},
        {"after_days": 0, "assignee": {"kind": "role", "role": "doctor"}},
    ],
}


def test_a_valid_definition_reads_into_typed_parts():
    protocol = read_protocol(VALID)
    assert protocol.trigger.kind == "discharge" and protocol.trigger.diagnosis_prefixes == ("I21",)
    assert [step.key for step in protocol.steps] == ["call-d3", "survey", "visit"]
    first, _, visit = protocol.steps
    assert (first.schedule.before, first.schedule.after) == (1, 11)
    assert (first.assignee.kind, first.assignee.role) == ("responsible_doctor", "doctor")
    assert (visit.assignee.username, visit.assignee.role) == ("nurse-li", "nurse")
    assert visit.schedule.count is None and len(visit.schedule.phases) == 2
    assert protocol.stops_on("goal_met") and not protocol.stops_on("moved")
    assert [rung.channel for rung in protocol.escalation] == ["sms", "phone", ""]


def _set(data, path, value):
    """`data` with the item at `path` (keys and indexes) replaced, or deleted when value is DELETE."""
    changed = copy.deepcopy(data)
    target = changed
    for part in path[:-1]:
        target = target[part]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return changed


DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "error_path", "words"),
    [
        (("trigger", "kind"), "admission", "trigger.kind", "expected one of"),
        (("trigger", "diagnosis_prefixes", 0), "i21", "trigger.diagnosis_prefixes[0]", "ICD-10"),
        (("trigger",), {"kind": "diagnosis_added"}, "trigger.diagnosis_prefixes", "at least one"),
        (("trigger",), {"kind": "tag_added", "tag": " "}, "trigger.tag", "non-empty"),
        (
            ("trigger",),
            {"kind": "questionnaire_band", "questionnaire": "phq-9", "bands": []},
            "trigger.bands",
            "at least one",
        ),
        (("anchor",), "admission_date", "anchor", "expected one of"),
        (("trigger",), {"kind": "manual"}, "anchor", "discharge trigger"),
        (("steps", 1, "offset"), "3 days", "steps[1].offset", "is not an interval"),
        (("steps", 1, "offset"), 3, "steps[1].offset", "interval"),
        (("steps", 0, "window", "after"), -1, "steps[0].window.after", "whole number of days"),
        (("steps", 0, "window", "before"), True, "steps[0].window.before", "whole number of days"),
        (("steps", 1, "key"), "call-d3", "steps[1].key", "earlier step"),
        (("steps", 1, "key"), "Call D3", "steps[1].key", "lower-case"),
        (("steps", 1, "channel"), "email", "steps[1].channel", "phone, sms, wechat, portal, visit"),
        (("steps", 1, "content", "kind"), "video", "steps[1].content.kind", "expected one of"),
        (("steps", 0, "content", "text"), {}, "steps[0].content.text", "at least one language"),
        (("steps", 1, "content", "key"), DELETE, "steps[1].content.key", "key of lower-case"),
        (("steps", 1, "assignee", "role"), "auditor", "steps[1].assignee.role", "expected one of"),
        (("steps", 1, "assignee"), {"kind": "role"}, "steps[1].assignee.role", "got None"),
        (("steps", 2, "recurrence", 0, "times"), None, "steps[2].recurrence[0].times", "last phase"),
        (("steps", 2, "recurrence", 1, "every"), "0m", "steps[2].recurrence[1].every", "move forward"),
        (("steps", 2, "recurrence", 0, "times"), 0, "steps[2].recurrence[0].times", "at least 1"),
        (("steps", 2, "recurrence"), {"every": "1m"}, "steps[2].recurrence", "expected a list"),
        (("stop_rules", 0, "kind"), "cured", "stop_rules[0].kind", "expected one of"),
        (("stop_rules", 2, "rule"), 'latest("8480-6") <', "stop_rules[2].rule", ""),
        (("stop_rules", 2, "rule"), "no_such_fact", "stop_rules[2].rule", "no_such_fact"),
        (("escalation", 1), {"after_days": 2}, "escalation[1]", "channel, the assignee"),
        (("escalation", 0, "after_days"), "2d", "escalation[0].after_days", "whole number"),
        (
            ("escalation", 2, "assignee", "kind"),
            "supervisor",
            "escalation[2].assignee.kind",
            "expected one of",
        ),
        (("steps",), {}, "steps", "expected a list"),
    ],
)
def test_an_invalid_definition_is_refused_naming_the_path(path, value, error_path, words):
    with pytest.raises(ProtocolError) as raised:
        read_protocol(_set(VALID, path, value))
    assert raised.value.path == error_path
    assert words in raised.value.message
    assert str(raised.value).startswith(f"{error_path}: ")


def test_a_definition_that_is_not_an_object_is_refused_at_the_root():
    with pytest.raises(ProtocolError, match=r"^\$: expected an object"):
        read_protocol([])


@pytest.mark.parametrize("key", SHIPPED)
def test_each_shipped_protocol_reads_and_cites_its_sources_with_a_confidence(key):
    shipped = shipped_protocol(key)
    protocol = read_protocol(shipped.definition)
    assert shipped.definition["description"]["zh"] and shipped.definition["description"]["en"]
    sources = shipped.definition["sources"]
    assert sources and all(s["confidence"] in ("high", "medium", "low") for s in sources)
    assert all("followup-norms §" in s["section"] for s in sources)
    # Every step is cited by a source of its own (or by one citing all steps).
    cited = {s.get("step") for s in sources}
    assert all(step.key in cited for step in protocol.steps)
    # A protocol resting on a low-confidence source, or on hospital practice, ships switched off.
    if any(s["confidence"] == "low" or s["type"] == "practice" for s in sources if s.get("step") != "*"):
        assert shipped.status == "draft"
    if not protocol.steps:
        assert shipped.status == "draft"


def test_the_chronic_disease_protocols_make_four_face_to_face_visits_a_year():
    from datetime import date

    from careloop.followup.schedule import occurrences

    for key in ("hypertension", "diabetes"):
        protocol = read_protocol(shipped_protocol(key).definition)
        visit = next(step for step in protocol.steps if step.key == "visit")
        assert visit.channel == "visit"
        year = list(occurrences(date(2027, 1, 15), visit.schedule, until=date(2028, 1, 15)))
        assert len(year) == 4
