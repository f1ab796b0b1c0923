"""Which reference range applies to a patient, the flag of a value, and the plausibility check.

Pure: no Django import. Values are in the indicator's canonical unit (see units.to_canonical).
Ranges and critical limits come from the catalogue, each with its source (WS/T 404 and 405,
WS/T 428-2013, the Chinese hypertension 2018, diabetes 2020 and lipid 2023 guidelines, KDIGO 2012).

A range applies only inside the sex and age band its source gives. When the sex or age is unknown
and the bands differ, no range applies and the flag is None rather than a guess; critical limits
(sex- and age-independent in the catalogue) still apply.
"""

from careloop.observations.catalogue import Indicator, RefRange
from careloop.observations.importing.parsed import because
from careloop.observations.units import ResultRefused

NORMAL = "normal"
HIGH = "high"
LOW = "low"
CRITICAL_HIGH = "critical_high"
CRITICAL_LOW = "critical_low"
FLAGS = (NORMAL, HIGH, LOW, CRITICAL_HIGH, CRITICAL_LOW)

# FHIR AdministrativeGender, HL7 v2 table 0001, GB/T 2261.1 (1 male, 2 female), Chinese.
_SEX = {
    "male": "male",
    "m": "male",
    "1": "male",
    "男": "male",
    "female": "female",
    "f": "female",
    "2": "female",
    "女": "female",
}

_range_cache: dict[tuple[str, str, int | None], RefRange | None] = {}


def normalize_sex(sex: str) -> str:
    """ "male", "female", or "" when unknown."""
    return _SEX.get(sex) or _SEX.get(sex.strip().lower(), "")


def reference_range(indicator: Indicator, sex: str = "", age: int | None = None) -> RefRange | None:
    """The range that applies to a patient of this sex and age (completed years), or None."""
    key = (indicator.code, sex, age)
    try:
        return _range_cache[key]
    except KeyError:
        pass
    found = _find_range(indicator.ranges, normalize_sex(sex), age)
    if len(_range_cache) < 100_000:
        _range_cache[key] = found
    return found


def _find_range(ranges: tuple[RefRange, ...], sex: str, age: int | None) -> RefRange | None:
    candidates = [
        r
        for r in ranges
        if (r.sex == "any" or r.sex == sex or not sex) and (age is None or r.applies_to_age(age))
    ]
    if not candidates:
        return None
    first = candidates[0]
    # Sex or age unknown: take the range only if every band it could be gives the same limits.
    if all(
        (r.low, r.high, r.high_exclusive) == (first.low, first.high, first.high_exclusive) for r in candidates
    ):
        return first
    return None


# An indicator's critical limits (low, high), either side None for none.
CriticalLimits = tuple[float | None, float | None]


def flag(
    indicator: Indicator,
    value: float,
    sex: str = "",
    age: int | None = None,
    critical: CriticalLimits | None = None,
) -> str | None:
    """normal / high / low / critical_high / critical_low, or None when no range or limit applies.

    The value is first rounded to the indicator's reporting precision, so a converted 125.9 mg/dL
    glucose is judged as the 6.99 mmol/L a lab would print. `critical`: the organization's own limits
    (`critical_limits`) in place of the catalogue's.
    """
    v = round(value, indicator.decimals)
    low, high = (indicator.critical_low, indicator.critical_high) if critical is None else critical
    if low is not None and v < low:
        return CRITICAL_LOW
    if high is not None and v > high:
        return CRITICAL_HIGH
    r = reference_range(indicator, sex, age)
    if r is None:
        return None
    if r.low is not None and v < r.low:
        return LOW
    if r.high is not None and (v >= r.high if r.high_exclusive else v > r.high):
        return HIGH
    return NORMAL


def check_plausible(indicator: Indicator, value: float, reported: str = "") -> None:
    """Refuse a value no living patient has (SBP 1200): almost always a unit or typing error."""
    if not indicator.plausible_min <= value <= indicator.plausible_max:
        params = {
            "value": f"{value:g}",
            "name": indicator.name_en,
            "code": indicator.code,
            "min": f"{indicator.plausible_min:g}",
            "max": f"{indicator.plausible_max:g}",
        }
        if indicator.unit_display:
            reason = because(
                "%(value)s %(unit)s is not a plausible %(name)s (%(code)s); "
                "accepted %(min)s to %(max)s %(unit)s.",
                unit=indicator.unit_display,
                **params,
            )
        else:  # dimensionless (specific gravity, pH, ratios): the range without a unit
            reason = because(
                "%(value)s %(unit)s is not a plausible %(name)s (%(code)s); accepted %(min)s to %(max)s.",
                unit=indicator.unit,
                **params,
            )
        raise ResultRefused("implausible", reason, reported or f"{value:g}")


def critical_limits(indicator: Indicator, low: float | None, high: float | None) -> CriticalLimits:
    """The limits an organization's own critical values make: a side it leaves blank keeps the catalogue's.

    Hospitals set their own critical values (危急值); the catalogue ships only those with a national source.
    """
    return (
        indicator.critical_low if low is None else low,
        indicator.critical_high if high is None else high,
    )


def critical_limits_problem(indicator: Indicator, low: float | None, high: float | None) -> str | None:
    """Why an organization's critical limits cannot be used, or None: "empty" (neither side given),
    "implausible" (outside the values the indicator accepts), "order" (low not below high, counting the
    catalogue's limit on a side left blank)."""
    if low is None and high is None:
        return "empty"
    if any(
        limit is not None and not indicator.plausible_min <= limit <= indicator.plausible_max
        for limit in (low, high)
    ):
        return "implausible"
    effective_low, effective_high = critical_limits(indicator, low, high)
    if effective_low is not None and effective_high is not None and effective_low >= effective_high:
        return "order"
    return None
