"""A plain record of one patient's facts that answers every function of the vocabulary.

It is the reference for what each function means; the SQL compiler must give the same answers over the
fact tables (a test holds the two together). Days are counted by whoever builds the snapshot, relative
to the day the rule runs, so evaluation needs no clock.

- `has_condition(prefix)`: some active diagnosis code starts with the prefix, as stored ("E11" matches
  "E11.9"); case-sensitive, so a compiler must not use SQLite's case-blind LIKE.
- `has_medication(x)`: some current medication's ATC code starts with `x`, or its name equals `x`.
- `latest(loinc)`, `latest_days(loinc)`, `trend(loinc)`: the latest reading's value (canonical unit), its
  age in days, and the indicator's trend; None without a reading (or without a trend).
- `score(code)`, `band(code)`: the latest total of that questionnaire score and its band.
- `bmi()`: the latest body-mass index the facts refresh recorded or computed.
- `consent(purpose)`: consent given for the purpose and not withdrawn.
- `discharged_within(days, department)`: a discharge 0 to `days` days ago, from that department, or from
  any department when `department` is "".
- `open_alerts()`: the number of alerts open or acknowledged, not resolved (0 when none).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from careloop.rules.nodes import Value


@dataclass(frozen=True)
class Reading:
    value: float
    days: int  # since the reading was taken
    trend: str | None = None  # "worsening", "improving", "stable", or None when not enough points


@dataclass(frozen=True)
class Score:
    total: float
    band: str | None = None


@dataclass(frozen=True)
class Medication:
    atc: str
    name: str


@dataclass(frozen=True)
class Discharge:
    days_ago: int
    department: str


@dataclass(frozen=True)
class Snapshot:
    fields: Mapping[str, Value] = dataclasses.field(default_factory=dict)  # a field not given is unknown
    conditions: frozenset[str] = frozenset()  # ICD-10 codes of active diagnoses, "E11.9"
    tags: frozenset[str] = frozenset()
    medications: tuple[Medication, ...] = ()
    readings: Mapping[str, Reading] = dataclasses.field(default_factory=dict)  # by LOINC code
    scores: Mapping[str, Score] = dataclasses.field(default_factory=dict)  # by score code
    bmi: float | None = None
    consents: frozenset[str] = frozenset()
    discharges: tuple[Discharge, ...] = ()
    open_alerts: int = 0

    def field(self, name: str) -> Value | None:
        return self.fields.get(name)

    def call(self, name: str, args: tuple[Value, ...]) -> Value | None:
        return FUNCTIONS[name](self, *args)

    def _reading(self, loinc: Value) -> Reading | None:
        return self.readings.get(str(loinc))

    def _score(self, code: Value) -> Score | None:
        return self.scores.get(str(code))


def _has_medication(facts: Snapshot, wanted: Value) -> bool:
    return any(med.atc.startswith(str(wanted)) or med.name == wanted for med in facts.medications)


def _discharged_within(facts: Snapshot, days: Value, department: Value) -> bool:
    return any(
        0 <= stay.days_ago <= float(days) and department in ("", stay.department) for stay in facts.discharges
    )


def _attribute[T](found: T | None, read: Callable[[T], Value | None]) -> Value | None:
    return None if found is None else read(found)


FUNCTIONS: dict[str, Callable[..., Value | None]] = {
    "has_condition": lambda f, prefix: any(code.startswith(str(prefix)) for code in f.conditions),
    "has_tag": lambda f, name: name in f.tags,
    "has_medication": _has_medication,
    "latest": lambda f, loinc: _attribute(f._reading(loinc), lambda r: r.value),
    "latest_days": lambda f, loinc: _attribute(f._reading(loinc), lambda r: r.days),
    "trend": lambda f, loinc: _attribute(f._reading(loinc), lambda r: r.trend),
    "score": lambda f, code: _attribute(f._score(code), lambda s: s.total),
    "band": lambda f, code: _attribute(f._score(code), lambda s: s.band),
    "bmi": lambda f: f.bmi,
    "consent": lambda f, purpose: purpose in f.consents,
    "discharged_within": _discharged_within,
    "open_alerts": lambda f: f.open_alerts,
}
