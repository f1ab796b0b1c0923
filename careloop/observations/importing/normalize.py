"""One result from a source to the values stored: indicator, canonical value and unit, flag — or a Problem.

Pure: no Django import. The order of the returned tuple is that of merge.COLUMNS after patient_id.
"""

import datetime
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from careloop.observations import catalogue, flags, units
from careloop.observations.importing.parsed import Problem, ResultRecord, because

NO_CRITICAL_LIMITS: Mapping[str, flags.CriticalLimits] = MappingProxyType({})


def age_on(birth: datetime.date | None, day: datetime.date) -> int | None:
    if birth is None:
        return None
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def normalize_result(
    record: ResultRecord, sex: str, birth: datetime.date | None
) -> tuple[Any, ...] | Problem:
    """(code, value, unit, comparator, value_reported, unit_reported, flag, effective_at), or why not."""
    when = record.effective_at
    stored = stored_values(record.code, record.value, record.unit, when, record.location, sex, birth)
    return stored if type(stored) is Problem else (*stored, when)


def stored_values(
    code: str,
    text: str,
    unit: str,
    effective_at: datetime.datetime,
    location: str,
    sex: str,
    birth: datetime.date | None,
    critical: Mapping[str, flags.CriticalLimits] = NO_CRITICAL_LIMITS,
) -> tuple[Any, ...] | Problem:
    """(code, value, unit, comparator, value_reported, unit_reported, flag) of a result, or why not: what
    the import pipeline stores of a value, which it carries as tuples.

    One tuple for each value as reported and each sex, age and critical limits it is flagged for, made
    once and handed out again: the pipeline builds its row around it.
    `critical`: the organization's critical limits by indicator code (flags.critical_limits), where it set
    its own."""
    converted = _converted.get((code, text, unit))
    if converted is None:
        outcome = _convert(code, text, unit, location)
        if type(outcome) is Problem:
            return outcome
        converted = (*outcome, {})
        if len(_converted) >= CONVERSIONS_KEPT:
            _converted.clear()
        _converted[(code, text, unit)] = converted
    indicator, value, comparator, judged = converted
    global _last_age
    last = _last_age
    if last[0] is birth and last[1] is effective_at:
        age = last[2]
    else:
        age = None if birth is None else age_on(birth, effective_at.date())
        _last_age = (birth, effective_at, age)
    limits = critical.get(indicator.code) if critical else None
    stored = judged.get((sex, age, limits))
    if stored is None:
        flag = flags.flag(indicator, value, sex, age, limits) or ""
        if len(judged) >= FLAGS_KEPT:
            judged.clear()
        stored = (indicator.code, value, indicator.unit, comparator, text[:100], unit[:30], flag)
        judged[(sex, age, limits)] = stored
    return stored


# The age of the last result's patient on its day, by identity of the birth date and the time: a specimen's
# results come one after another with the same two objects. One tuple, replaced whole, so that threads
# normalizing at once read a consistent one.
_last_age: tuple[datetime.date | None, datetime.datetime | None, int | None] = (None, None, None)

# A lab reports its values with a fixed number of decimals, so a feed repeats the same (code, value, unit)
# many times over: the indicator, canonical value and plausibility of each are worked out once, and its
# flag, with the rest that is stored of it, once for each sex, age and critical limits it meets. (The
# catalogue is the shipped one, fixed for the process's life.)
CONVERSIONS_KEPT = 50_000
FLAGS_KEPT = 512
_Judged = dict[tuple[str, int | None, flags.CriticalLimits | None], tuple[Any, ...]]
_converted: dict[tuple[str, str, str], tuple[catalogue.Indicator, float, str, _Judged]] = {}


def _convert(
    code: str, text: str, unit: str, location: str
) -> tuple[catalogue.Indicator, float, str] | Problem:
    """The indicator, canonical value and comparator of a value as reported, or why it is refused."""
    indicator = catalogue.find(code)
    if indicator is None:
        return Problem(
            location,
            "code",
            code,
            because("%(code)s is not an indicator of the catalogue (LOINC code or known name).", code=code),
            "unknown_code",
        )
    try:
        parsed = units.read_value(indicator, text)
        if indicator.kind == "ordinal":
            value = parsed.number
        else:
            value = units.to_canonical(indicator, parsed.number, unit)
        flags.check_plausible(indicator, value, text)
    except units.ResultRefused as refused:
        field = "unit" if refused.code == "unknown_unit" else "value"
        return refused.problem(location, field)
    return indicator, value, parsed.comparator
