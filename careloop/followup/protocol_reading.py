"""A protocol's definition, read from its JSON into typed parts; errors name the path (`steps[2].offset`).

    {"trigger": {"kind": "discharge", "departments": ["心内科"], "diagnosis_prefixes": ["I21"]},
     "anchor": "discharge_date",
     "steps": [{"key": "call-d3", "offset": "3d", "window": {"before": 1, "after": 11},
                "channel": "phone", "content": {"kind": "script", "text": {"zh": "…", "en": "…"}},
                "assignee": {"kind": "role", "role": "nurse"},
                "recurrence": [{"every": "1m", "times": 3}, {"every": "3m"}]}],
     "stop_rules": [{"kind": "deceased"}, {"kind": "goal_met", "rule": "latest(\\"8480-6\\") < 140"}],
     "escalation": [{"after_days": 2, "channel": "sms"}, {"after_days": 2, "channel": "phone"}],
     "description": {...}, "sources": [...]}

Only the parts the engine reads are checked here; `description` and `sources` are for people. The sweep
applies them: triggers.py enrols, stopping.py applies the stop rules, escalation.py climbs the ladder.

Pure: no Django import (tests/followup/test_pure_modules.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from careloop.followup.schedule import Interval, Phase, Step
from careloop.rules import RuleError, parse

TRIGGER_KINDS = (
    "manual",
    "discharge",
    "diagnosis_added",
    "tag_added",
    "abnormal_result",
    "questionnaire_band",
)
ANCHORS = ("discharge_date", "enrolment_date", "trigger_date")
CHANNELS = ("phone", "sms", "wechat", "portal", "visit")
CONTENT_KINDS = ("script", "questionnaire", "article")
ASSIGNEE_KINDS = ("role", "responsible_doctor", "user")
ROLES = ("admin", "doctor", "nurse", "receptionist")  # the auditor works no follow-up
STOP_KINDS = ("deceased", "moved", "consent_withdrawn", "goal_met")
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_ICD10_PREFIX = re.compile(r"^[A-Z](\d{1,2}(\.\d{0,4})?)?$")  # as careloop/rules/vocabulary.py reads one
_MAX_WINDOW_DAYS = 366


class ProtocolError(ValueError):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


@dataclass(frozen=True)
class Trigger:
    kind: str
    departments: tuple[str, ...] = ()
    diagnosis_prefixes: tuple[str, ...] = ()
    tag: str = ""
    code: str = ""  # abnormal_result: the LOINC code
    questionnaire: str = ""
    bands: tuple[str, ...] = ()


@dataclass(frozen=True)
class Assignee:
    kind: Literal["role", "responsible_doctor", "user"]
    role: str  # the role's queue; the fallback of the other kinds
    username: str = ""


@dataclass(frozen=True)
class Content:
    kind: Literal["script", "questionnaire", "article"]
    ref: str  # a questionnaire's key, an article's reference; "" for a script (it lives in the step)
    text: Mapping[str, str]  # a call script by language; {} otherwise


@dataclass(frozen=True)
class ProtocolStep:
    schedule: Step
    channel: str
    content: Content
    assignee: Assignee

    @property
    def key(self) -> str:
        return self.schedule.key


@dataclass(frozen=True)
class StopRule:
    kind: str
    rule: str = ""  # goal_met: a rule of careloop.rules, checked with its parser


@dataclass(frozen=True)
class Rung:
    after_days: int
    channel: str = ""
    assignee: Assignee | None = None


@dataclass(frozen=True)
class Adaptation:
    """Adaptive frequency: after a contact that reached the patient, when `rule` holds of the patient's
    facts (blood pressure not controlled, say), a contact is owed within `within_days`."""

    key: str
    rule: str
    within_days: int
    channel: str
    assignee: Assignee
    text: Mapping[str, str]  # the call script, by language
    name: Mapping[str, str]  # what the worklist calls it, by language


@dataclass(frozen=True)
class ProtocolDefinition:
    trigger: Trigger
    anchor: str
    steps: tuple[ProtocolStep, ...]
    stop_rules: tuple[StopRule, ...]
    escalation: tuple[Rung, ...]
    adaptations: tuple[Adaptation, ...] = ()

    @property
    def schedule(self) -> tuple[Step, ...]:
        return tuple(step.schedule for step in self.steps)

    def stops_on(self, kind: str) -> bool:
        return any(rule.kind == kind for rule in self.stop_rules)


def read_protocol(data: object) -> ProtocolDefinition:
    """The definition in `data`; ProtocolError naming the path of the first problem."""
    root = _object(data, "$")
    trigger = _trigger(root.get("trigger"), "trigger")
    anchor = _choice(root.get("anchor"), "anchor", ANCHORS)
    if anchor == "discharge_date" and trigger.kind != "discharge":
        raise ProtocolError("anchor", "a discharge date needs a discharge trigger")
    if anchor == "trigger_date" and trigger.kind == "manual":
        raise ProtocolError("anchor", "a manual enrolment has no trigger date: anchor on the enrolment date")
    steps = tuple(_step(item, f"steps[{n}]") for n, item in enumerate(_list(root.get("steps", []), "steps")))
    keys = [step.key for step in steps]
    for n, key in enumerate(keys):
        if key in keys[:n]:
            raise ProtocolError(f"steps[{n}].key", f"{key!r} is the key of an earlier step")
    stops = tuple(_each(root, "stop_rules", "stop_rules", _stop))
    ladder = tuple(_each(root, "escalation", "escalation", _rung))
    adaptations = tuple(_each(root, "adapt", "adapt", _adaptation))
    for n, adaptation in enumerate(adaptations):
        if adaptation.key in keys or adaptation.key in [a.key for a in adaptations[:n]]:
            raise ProtocolError(
                f"adapt[{n}].key", f"{adaptation.key!r} is the key of a step or an earlier one"
            )
    return ProtocolDefinition(trigger, anchor, steps, stops, ladder, adaptations)


def _trigger(data: object, path: str) -> Trigger:
    item = _object(data, path)
    kind = _choice(item.get("kind"), f"{path}.kind", TRIGGER_KINDS)
    departments = tuple(_each(item, "departments", f"{path}.departments", _text))
    prefixes = tuple(_each(item, "diagnosis_prefixes", f"{path}.diagnosis_prefixes", _icd10))
    if kind == "discharge":
        return Trigger(kind, departments=departments, diagnosis_prefixes=prefixes)
    if kind == "diagnosis_added":
        if not prefixes:
            raise ProtocolError(f"{path}.diagnosis_prefixes", "name at least one ICD-10 code or prefix")
        return Trigger(kind, diagnosis_prefixes=prefixes)
    if kind == "tag_added":
        return Trigger(kind, tag=_text(item.get("tag"), f"{path}.tag"))
    if kind == "abnormal_result":
        return Trigger(kind, code=_text(item.get("code"), f"{path}.code"))
    if kind == "questionnaire_band":
        bands = _list(item.get("bands"), f"{path}.bands")
        if not bands:
            raise ProtocolError(f"{path}.bands", "name at least one band")
        return Trigger(
            kind,
            questionnaire=_key(item.get("questionnaire"), f"{path}.questionnaire"),
            bands=tuple(_text(b, f"{path}.bands[{n}]") for n, b in enumerate(bands)),
        )
    return Trigger(kind)


def _step(data: object, path: str) -> ProtocolStep:
    item = _object(data, path)
    key = _key(item.get("key"), f"{path}.key")
    offset = _interval(item.get("offset"), f"{path}.offset")
    window = _object(item.get("window", {}), f"{path}.window")
    before = _days(window.get("before", 0), f"{path}.window.before")
    after = _days(window.get("after", 0), f"{path}.window.after")
    phases = []
    recurrence = _list(item.get("recurrence", []), f"{path}.recurrence")
    for n, phase_data in enumerate(recurrence):
        phase_path = f"{path}.recurrence[{n}]"
        phase = _object(phase_data, phase_path)
        every = _interval(phase.get("every"), f"{phase_path}.every")
        if every.amount == 0:
            raise ProtocolError(f"{phase_path}.every", "a recurrence must move forward")
        times = phase.get("times")
        if times is None and n < len(recurrence) - 1:
            raise ProtocolError(f"{phase_path}.times", "only the last phase may recur without end")
        if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 1):
            raise ProtocolError(f"{phase_path}.times", "write a whole number of at least 1, or leave it out")
        phases.append(Phase(every, times))
    return ProtocolStep(
        Step(key, offset, before=before, after=after, phases=tuple(phases)),
        _choice(item.get("channel"), f"{path}.channel", CHANNELS),
        _content(item.get("content"), f"{path}.content"),
        _assignee(item.get("assignee"), f"{path}.assignee"),
    )


def _content(data: object, path: str) -> Content:
    item = _object(data, path)
    kind = _choice(item.get("kind"), f"{path}.kind", CONTENT_KINDS)
    if kind == "script":
        text = _object(item.get("text"), f"{path}.text")
        if not text:
            raise ProtocolError(f"{path}.text", "write the script in at least one language")
        return Content("script", "", {lang: _text(v, f"{path}.text.{lang}") for lang, v in text.items()})
    if kind == "questionnaire":
        return Content("questionnaire", _key(item.get("key"), f"{path}.key"), {})
    return Content("article", _text(item.get("ref"), f"{path}.ref"), {})


def _assignee(data: object, path: str) -> Assignee:
    item = _object(data, path)
    kind = _choice(item.get("kind"), f"{path}.kind", ASSIGNEE_KINDS)
    # Every assignee names a role's queue: the task falls to it when the patient has no responsible
    # doctor, or the named user is not (or no longer) on the staff.
    default = {"role": None, "responsible_doctor": "doctor", "user": "nurse"}[kind]
    role = _choice(item.get("role", default), f"{path}.role", ROLES)
    if kind == "user":
        return Assignee("user", role=role, username=_text(item.get("username"), f"{path}.username"))
    return Assignee("responsible_doctor" if kind == "responsible_doctor" else "role", role=role)


def _stop(data: object, path: str) -> StopRule:
    item = _object(data, path)
    kind = _choice(item.get("kind"), f"{path}.kind", STOP_KINDS)
    if kind != "goal_met":
        return StopRule(kind)
    text = _text(item.get("rule"), f"{path}.rule")
    try:
        parse(text)
    except RuleError as error:
        raise ProtocolError(f"{path}.rule", str(error)) from error
    return StopRule(kind, text)


def _adaptation(data: object, path: str) -> Adaptation:
    item = _object(data, path)
    key = _key(item.get("key"), f"{path}.key")
    rule = _text(item.get("when"), f"{path}.when")
    try:
        parse(rule)
    except RuleError as error:
        raise ProtocolError(f"{path}.when", str(error)) from error
    within = _days(item.get("within_days"), f"{path}.within_days")
    if within < 1:
        raise ProtocolError(f"{path}.within_days", "at least one day")
    channel = _choice(item.get("channel"), f"{path}.channel", CHANNELS)
    assignee = _assignee(item.get("assignee"), f"{path}.assignee")
    content = _content(item.get("content"), f"{path}.content")
    name = _object(item.get("name"), f"{path}.name")
    return Adaptation(
        key, rule, within, channel, assignee, content.text, {k: str(v) for k, v in name.items()}
    )


def _rung(data: object, path: str) -> Rung:
    item = _object(data, path)
    after_days = _days(item.get("after_days"), f"{path}.after_days")
    channel = _choice(item["channel"], f"{path}.channel", CHANNELS) if "channel" in item else ""
    assignee = _assignee(item["assignee"], f"{path}.assignee") if "assignee" in item else None
    if not channel and assignee is None:
        raise ProtocolError(path, "a rung changes the channel, the assignee or both")
    return Rung(after_days, channel, assignee)


def _each[T](parent: dict[str, Any], name: str, path: str, read: Callable[[object, str], T]) -> Iterator[T]:
    """Each item of the optional list `parent[name]`, read with its own path (`steps[2]`)."""
    for n, item in enumerate(_list(parent.get(name, []), path)):
        yield read(item, f"{path}[{n}]")


def _object(data: object, path: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ProtocolError(path, "expected an object")
    return data


def _list(data: object, path: str) -> list[Any]:
    if not isinstance(data, list):
        raise ProtocolError(path, "expected a list")
    return data


def _text(data: object, path: str) -> str:
    if not isinstance(data, str) or not data.strip():
        raise ProtocolError(path, "expected a non-empty text")
    return data


def _key(data: object, path: str) -> str:
    if not isinstance(data, str) or not _KEY.match(data):
        raise ProtocolError(path, "expected a key of lower-case letters, digits and dashes (at most 40)")
    return data


def _choice(data: object, path: str, allowed: tuple[str, ...]) -> str:
    if data not in allowed:
        raise ProtocolError(path, f"expected one of {', '.join(allowed)}; got {data!r}")
    return str(data)


def _interval(data: object, path: str) -> Interval:
    if not isinstance(data, str):
        raise ProtocolError(path, "expected an interval such as 3d, 2w, 1m or 1y")
    try:
        return Interval.parse(data)
    except ValueError as error:
        raise ProtocolError(path, str(error)) from error


def _days(data: object, path: str) -> int:
    if not isinstance(data, int) or isinstance(data, bool) or not 0 <= data <= _MAX_WINDOW_DAYS:
        raise ProtocolError(path, f"expected a whole number of days from 0 to {_MAX_WINDOW_DAYS}")
    return data


def _icd10(data: object, path: str) -> str:
    if not isinstance(data, str) or not _ICD10_PREFIX.match(data):
        raise ProtocolError(path, 'expected an ICD-10 code or prefix such as "I10" or "E11.9"')
    return data
