"""The Trends tab's chart of one indicator and its summaries, in every accepted unit (pure: no Django
import). The reference range is passed in by the caller (`flags.reference_range`)."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from careloop.observations.catalogue import Indicator, RefRange
from careloop.observations.trends import detection
from careloop.observations.trends.display import convert, indicator_name, signed, unit_options
from careloop.observations.trends.series import ABNORMAL_FLAGS, Row, points, trend_of


@dataclass(frozen=True)
class Summary:
    unit: str  # token
    unit_label: str
    n: int
    slope: str | None  # signed, per year, in this unit
    p_value: str | None
    significant: bool
    change_since_first: str | None  # signed percent
    change_since_previous: str | None


def _date(when: date) -> str:
    return (when.date() if isinstance(when, datetime) else when).isoformat()


def chart(indicator: Indicator, series: list[Row], ref: RefRange | None, zh: bool) -> dict[str, Any]:
    """What the chart script needs, in every accepted unit (so the unit switch needs no request).

    points: date, value per unit (rounded to that unit's decimals), flag, abnormal, comparator, text (the
    reported value, for qualitative results). band: [low, high] per unit, None for an open side; None when
    no range applies to the patient.
    """
    options = unit_options(indicator)

    def per_unit(value: float) -> dict[str, float]:
        return {o.token: round(convert(indicator, value, o.token), o.decimals) for o in options}

    band = None
    if ref is not None and (ref.low is not None or ref.high is not None):
        band = {
            o.token: [
                None if ref.low is None else round(convert(indicator, ref.low, o.token), o.decimals),
                None if ref.high is None else round(convert(indicator, ref.high, o.token), o.decimals),
            ]
            for o in options
        }
    return {
        "code": indicator.code,
        "name": indicator_name(indicator, zh),
        "unit": indicator.unit,
        "units": [{"token": o.token, "label": o.label, "decimals": o.decimals} for o in options],
        "band": band,
        "points": [
            {
                "t": _date(r.when),
                "v": per_unit(r.value),
                "flag": r.flag,
                "abnormal": r.flag in ABNORMAL_FLAGS,
                "cmp": r.comparator,
                "text": r.reported if indicator.kind == "ordinal" else "",
            }
            for r in series
        ],
    }


def summaries(indicator: Indicator, series: list[Row]) -> list[Summary]:
    """Slope per year, p-value and percent changes, once per accepted unit.

    The slope scales by the conversion factor and the p-value does not change; percent changes are taken on
    the converted values, since a unit with an offset (HbA1c in mmol/mol) gives other percentages.
    """
    trend = trend_of(indicator, series)
    merged = detection.normalize_points(points(series))  # as detect_trend saw them: same-day results merged
    result = []
    for option in unit_options(indicator):
        factor = indicator.conversions[option.token].factor
        slope = None if trend.slope_per_year is None else trend.slope_per_year / factor
        first = last = previous = None
        if len(merged) >= 2:
            first = convert(indicator, merged[0].value, option.token)
            last = convert(indicator, merged[-1].value, option.token)
            previous = convert(indicator, merged[-2].value, option.token)
        result.append(
            Summary(
                unit=option.token,
                unit_label=option.label,
                n=trend.n,
                slope=signed(slope, option.decimals + 1),
                p_value=None if trend.p_value is None else _p(trend.p_value),
                significant=trend.significant,
                change_since_first=signed(_percent(first, last), 1),
                change_since_previous=signed(_percent(previous, last), 1),
            )
        )
    return result


def _p(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _percent(old: float | None, new: float | None) -> float | None:
    if old is None or new is None or old == 0:
        return None
    return (new - old) / abs(old) * 100.0
