"""One patient's results, reduced to what the facts keep: each indicator's latest value and trend, and BMI.

Pure: no Django import. Times are local (calendar days are taken as given), values in canonical units.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from careloop.observations.trends import detection
from careloop.observations.trends.series import direction_for

HEIGHT, WEIGHT, BMI = "8302-2", "29463-7", "39156-5"  # cm, kg, kg/m² (observations/data/indicators.json)
STABLE = "stable"
# The words `trend(loinc)` answers: detection's own words for a change, and "stable" for a series of two
# or more days that is neither (see `trend_word`). The rules vocabulary lists the same three.
TREND_WORDS = (detection.WORSENING, detection.IMPROVING, STABLE)


@dataclass(frozen=True)
class Result:
    code: str
    when: datetime  # local time
    value: float
    flag: str = ""


@dataclass(frozen=True)
class Latest:
    code: str
    value: float
    when: datetime
    trend: str | None


@dataclass(frozen=True)
class Bmi:
    value: float
    when: datetime


def trend_word(trend: detection.Trend) -> str | None:
    """worsening / improving as detection flags them; stable for two or more days with neither; else None.

    Detection judges a change against the indicator's better direction (eGFR falling is worsening), so a
    rule says `trend("62238-1") == "worsening"` without knowing which way is bad.
    """
    if detection.WORSENING in trend.flags:
        return detection.WORSENING
    if detection.IMPROVING in trend.flags:
        return detection.IMPROVING
    return STABLE if trend.n >= 2 else None


def _trend_flag(flag: str) -> str | None:
    # As the Trends tab reads it (trends.series): the model's generic "abnormal" has no side.
    if not flag:
        return None
    return "critical" if flag == "abnormal" else flag


def latest_by_indicator(results: Iterable[Result], resolve: Callable[[str], str]) -> dict[str, Latest]:
    """Each indicator's newest result (the last given of equal times) and its series' trend.

    `resolve` maps a stored code to the indicator's code (an alias to its indicator), so a rule's LOINC
    code finds results filed under an alias.
    """
    series: dict[str, list[Result]] = defaultdict(list)
    for result in results:
        series[resolve(result.code)].append(result)
    found: dict[str, Latest] = {}
    for code, rows in series.items():
        rows.sort(key=lambda row: row.when)  # stable: the input order breaks ties
        points = [(row.when, row.value, _trend_flag(row.flag)) for row in rows]
        trend = detection.detect_trend(points, direction_for(code))
        found[code] = Latest(code, rows[-1].value, rows[-1].when, trend_word(trend))
    return found


def bmi_of(latest: dict[str, Latest]) -> Bmi | None:
    """The body-mass index: the BMI result when it is as new as the latest weight, else weight / height².

    Height is taken from its latest result however old, as an adult's height barely changes; the computed
    index is rounded to one decimal, as a BMI result is reported (WS/T 428-2013 thresholds are to 0.1).
    """
    measured, weight, height = latest.get(BMI), latest.get(WEIGHT), latest.get(HEIGHT)
    if measured and (weight is None or measured.when.date() >= weight.when.date()):
        return Bmi(measured.value, measured.when)
    if weight and height and height.value > 0:
        return Bmi(round(weight.value / (height.value / 100) ** 2, 1), weight.when)
    return Bmi(measured.value, measured.when) if measured else None
