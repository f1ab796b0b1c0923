"""CareLoop's scoring rules, carried inside the Questionnaire in one extension.

FHIR R4 has no element for scores, bands or alert rules, so they travel in one extension on the
Questionnaire root:

    {"url": "https://careloop.org/fhir/StructureDefinition/scoring", "valueString": "<JSON>"}

A JSON string rather than nested extensions: the rules stay readable in one place, and a FHIR server
that does not know the extension still stores and returns them unchanged. The JSON is:

    {"scores": [{"code": "44261-6", "system": "http://loinc.org", "display": "...",
                 "items": ["1", "2"],
                 "bands": [{"min": 0, "max": 4, "code": "none-minimal", "en": "...", "zh": "...",
                            "sex": "male" | "female" (optional), "policy": "..." (optional),
                            "alert": "urgent" | "high" (optional)}]}],
     "flags": [{"code": "...", "en": "...", "zh": "...", "alert": "urgent" | "high" (optional),
                "when": [{"item": "9", "operator": ">=", "score": 1}]}]}

Bands are closed integer ranges on the total (min <= total <= max). A band with a `sex` applies to that
sex only (AUDIT-C cut-offs). Bands without a `policy` are the default; a named policy is an alternative
that a deployment must choose explicitly (off by default). A flag is raised when every condition in
`when` holds on the answer scores. `zh` may be null where the reference gives no Chinese wording.

`alert` makes an answer that lands in the band, or raises the flag, raise a clinician alert of that
severity at once (the alerts app reads it from the stored scores): which answers alert is the
instrument's data, so a new instrument needs no code to alert.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from careloop.questionnaires.definition import Number, Problem

SCORING_EXTENSION = "https://careloop.org/fhir/StructureDefinition/scoring"
FLAG_OPERATORS = (">=", "<=", "=")
SEXES = ("male", "female")
ALERT_SEVERITIES = ("urgent", "high")
ROOT = "Questionnaire"


@dataclass(frozen=True)
class Band:
    min: int
    max: int
    code: str
    en: str
    zh: str | None = None
    sex: str | None = None
    policy: str | None = None
    alert: str | None = None


@dataclass(frozen=True)
class ScoreRule:
    code: str
    items: tuple[str, ...]
    bands: tuple[Band, ...]
    system: str | None = None
    display: str | None = None


@dataclass(frozen=True)
class FlagCondition:
    item: str
    operator: str
    score: Number

    def holds(self, score: Number) -> bool:
        if self.operator == ">=":
            return score >= self.score
        if self.operator == "<=":
            return score <= self.score
        return score == self.score


@dataclass(frozen=True)
class FlagRule:
    code: str
    en: str
    when: tuple[FlagCondition, ...]
    zh: str | None = None
    alert: str | None = None


@dataclass(frozen=True)
class ScoringRules:
    scores: tuple[ScoreRule, ...] = ()
    flags: tuple[FlagRule, ...] = ()


def read_scoring_rules(text: object, problems: list[Problem]) -> ScoringRules | None:
    """Read the extension's valueString; every problem is appended to `problems` (named "Questionnaire")."""
    if not isinstance(text, str):
        problems.append(Problem(ROOT, "the scoring extension needs a valueString holding JSON"))
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        problems.append(Problem(ROOT, f"the scoring extension is not valid JSON ({error.msg})"))
        return None
    if not isinstance(data, dict) or set(data) - {"scores", "flags"}:
        problems.append(Problem(ROOT, "the scoring extension must be an object with only scores and flags"))
        return None
    try:
        scores = tuple(_score(entry) for entry in data.get("scores", []))
        flags = tuple(_flag(entry) for entry in data.get("flags", []))
    except (KeyError, TypeError, ValueError) as error:
        problems.append(Problem(ROOT, f"the scoring extension is malformed ({error})"))
        return None
    for score in scores:
        problems.extend(_overlapping_bands(score))
    return ScoringRules(scores, flags)


def write_scoring_rules(rules: ScoringRules) -> str:
    data = {
        "scores": [
            {
                "code": score.code,
                **_present(system=score.system, display=score.display),
                "items": list(score.items),
                "bands": [
                    {
                        "min": band.min,
                        "max": band.max,
                        "code": band.code,
                        "en": band.en,
                        "zh": band.zh,
                        **_present(sex=band.sex, policy=band.policy, alert=band.alert),
                    }
                    for band in score.bands
                ],
            }
            for score in rules.scores
        ],
        "flags": [
            {
                "code": flag.code,
                "en": flag.en,
                "zh": flag.zh,
                **_present(alert=flag.alert),
                "when": [{"item": c.item, "operator": c.operator, "score": c.score} for c in flag.when],
            }
            for flag in rules.flags
        ],
    }
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def _present(**values: str | None) -> dict[str, str]:
    return {key: value for key, value in values.items() if value is not None}


def _text(entry: dict[str, object], key: str, *, optional: bool = False) -> str | None:
    value = entry.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key!r} must be a non-empty string")
    return value


def _required_text(entry: dict[str, object], key: str) -> str:
    value = _text(entry, key)
    assert value is not None  # _text raises when a required value is missing
    return value


def _integer(entry: dict[str, object], key: str) -> int:
    value = entry[key]
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{key!r} must be an integer")
    return value


def _score(entry: dict[str, object]) -> ScoreRule:
    items = entry["items"]
    if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
        raise ValueError("a score's 'items' must be a non-empty list of linkIds")
    bands = entry.get("bands", [])
    if not isinstance(bands, list):
        raise ValueError("'bands' must be a list")
    return ScoreRule(
        code=_required_text(entry, "code"),
        items=tuple(items),
        bands=tuple(_band(band) for band in bands),
        system=_text(entry, "system", optional=True),
        display=_text(entry, "display", optional=True),
    )


def _band(entry: dict[str, object]) -> Band:
    band = Band(
        min=_integer(entry, "min"),
        max=_integer(entry, "max"),
        code=_required_text(entry, "code"),
        en=_required_text(entry, "en"),
        zh=_text(entry, "zh", optional=True),
        sex=_text(entry, "sex", optional=True),
        policy=_text(entry, "policy", optional=True),
        alert=_alert(entry, f"band {entry.get('code')!r}"),
    )
    if band.min > band.max:
        raise ValueError(f"band {band.code!r} has min above max")
    if band.sex is not None and band.sex not in SEXES:
        raise ValueError(f"band {band.code!r} has sex {band.sex!r}; expected one of {', '.join(SEXES)}")
    return band


def _flag(entry: dict[str, object]) -> FlagRule:
    when = entry["when"]
    if not isinstance(when, list) or not when:
        raise ValueError("a flag's 'when' must be a non-empty list")
    conditions = []
    for condition in when:
        operator = _required_text(condition, "operator")
        score = condition["score"]
        if operator not in FLAG_OPERATORS:
            raise ValueError(f"flag operator {operator!r} is not one of {', '.join(FLAG_OPERATORS)}")
        if not isinstance(score, int | float) or isinstance(score, bool):
            raise ValueError("a flag condition's 'score' must be a number")
        conditions.append(FlagCondition(_required_text(condition, "item"), operator, score))
    return FlagRule(
        code=_required_text(entry, "code"),
        en=_required_text(entry, "en"),
        when=tuple(conditions),
        zh=_text(entry, "zh", optional=True),
        alert=_alert(entry, f"flag {entry.get('code')!r}"),
    )


def _alert(entry: dict[str, object], owner: str) -> str | None:
    alert = _text(entry, "alert", optional=True)
    if alert is not None and alert not in ALERT_SEVERITIES:
        raise ValueError(f"{owner} has alert {alert!r}; expected one of {', '.join(ALERT_SEVERITIES)}")
    return alert


def _overlapping_bands(score: ScoreRule) -> list[Problem]:
    """Within one policy, two bands that can apply to the same patient must not share a total."""
    problems = []
    for i, first in enumerate(score.bands):
        for second in score.bands[i + 1 :]:
            same_people = first.sex is None or second.sex is None or first.sex == second.sex
            if (
                first.policy == second.policy
                and same_people
                and first.min <= second.max
                and second.min <= first.max
            ):
                problems.append(
                    Problem(ROOT, f"score {score.code}: bands {first.code} and {second.code} overlap")
                )
    return problems
