"""One result from a source to the values stored: indicator, canonical value and unit, flag — or a Problem.

Pure: no Django import. The order of the returned tuple is that of merge.COLUMNS after patient_id.
"""

import datetime

from careloop.observations import catalogue, flags, units
from careloop.observations.records import Problem, ResultRecord


def age_on(birth: datetime.date | None, day: datetime.date) -> int | None:
    if birth is None:
        return None
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def normalize_result(record: ResultRecord, sex: str, birth: datetime.date | None) -> tuple | Problem:
    """(code, value, unit, comparator, value_reported, unit_reported, flag, effective_at), or why not."""
    indicator = catalogue.find(record.code)
    if indicator is None:
        return Problem(
            record.location,
            "code",
            record.code,
            f"{record.code} is not an indicator of the catalogue (LOINC code or known name).",
            "unknown_code",
        )
    try:
        parsed = units.read_value(indicator, record.value)
        unit = record.unit or (indicator.unit if indicator.kind == "ordinal" else "")
        value = (
            parsed.number
            if indicator.kind == "ordinal"
            else units.to_canonical(indicator, parsed.number, unit)
        )
        flags.check_plausible(indicator, value, record.value)
    except units.ResultRefused as refused:
        field = "unit" if refused.code == "unknown_unit" else "value"
        return refused.problem(record.location, field)
    flag = flags.flag(indicator, value, sex, age_on(birth, record.effective_at.date())) or ""
    return (
        indicator.code,
        value,
        indicator.unit,
        parsed.comparator,
        record.value[:100],
        record.unit[:30],
        flag,
        record.effective_at,
    )
