"""One patient's results by indicator, and each series' trend, for the Trends tab.

Pure: no Django import. Input is a list of `Row` (one per result, times already in local time, values in the
indicator's canonical unit). The trend (slope, p-value, change words) comes from `detection`.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import NamedTuple

from careloop.observations.catalogue import CATEGORIES, Indicator
from careloop.observations.trends import detection
from careloop.observations.trends.detection import Direction

# Which way is better, for the trend words (improving / worsening). Indicators not listed are `in_range`:
# away from the reference range on the side the series is out of it is worse, within range is neither.
# Lower is better where treatment targets a lower value (Chinese hypertension guideline 2018; CDS diabetes
# guideline 2020; Chinese lipid guideline 2023: SBP/DBP, glucose, HbA1c, TC, TG, LDL-C, non-HDL-C; albuminuria
# as KDIGO 2012 grades it); higher is better for HDL-C and eGFR (KDIGO 2012 G stages). Weight, BMI and waist
# stay in_range: being under range is a finding too. This is a display choice, not a clinical figure.
DIRECTIONS: dict[str, Direction] = {
    "8480-6": Direction.LOWER_IS_BETTER,  # systolic blood pressure
    "8462-4": Direction.LOWER_IS_BETTER,  # diastolic blood pressure
    "1558-6": Direction.LOWER_IS_BETTER,  # fasting plasma glucose
    "1518-0": Direction.LOWER_IS_BETTER,  # 2 h glucose (OGTT)
    "2345-7": Direction.LOWER_IS_BETTER,  # random glucose
    "4548-4": Direction.LOWER_IS_BETTER,  # HbA1c
    "2093-3": Direction.LOWER_IS_BETTER,  # total cholesterol
    "2571-8": Direction.LOWER_IS_BETTER,  # triglycerides
    "18262-6": Direction.LOWER_IS_BETTER,  # LDL-C
    "43396-1": Direction.LOWER_IS_BETTER,  # non-HDL-C
    "9318-7": Direction.LOWER_IS_BETTER,  # urine albumin/creatinine ratio
    "2085-9": Direction.HIGHER_IS_BETTER,  # HDL-C
    "62238-1": Direction.HIGHER_IS_BETTER,  # eGFR
}

# The trend words shown in the picker, most urgent first (the caller gives each its translated label).
TREND_WORDS = (
    detection.WORSENING,
    detection.NEWLY_ABNORMAL,
    detection.PERSISTENTLY_ABNORMAL,
    detection.IMPROVING,
)

ABNORMAL_FLAGS = frozenset({"high", "low", "critical_high", "critical_low", "abnormal"})


class Row(NamedTuple):
    code: str
    when: datetime  # local time
    value: float  # canonical unit
    flag: str = ""
    comparator: str = ""  # "<", ">=", ... when the source reported a limit
    reported: str = ""  # the value as reported (shown for qualitative results: "2+")
    annual_check: bool = False  # part of an exam report (annual health check)


def direction_for(code: str) -> Direction:
    return DIRECTIONS.get(code, Direction.IN_RANGE)


def group_rows(rows: Iterable[Row], resolve: Callable[[str], Indicator | None]) -> dict[Indicator, list[Row]]:
    """Rows by indicator (alias codes join their indicator), oldest first; unknown codes are left out.

    `resolve` maps a code to its Indicator or None (catalogue.by_code).
    """
    grouped: dict[Indicator, list[Row]] = defaultdict(list)
    for row in rows:
        indicator = resolve(row.code)
        if indicator is not None:
            grouped[indicator].append(row)
    for series in grouped.values():
        series.sort(key=lambda r: r.when)
    return dict(grouped)


def ordered_indicators(grouped: dict[Indicator, list[Row]], catalogue_codes: list[str]) -> list[Indicator]:
    """The indicators that have data, by category (catalogue.CATEGORIES), then by catalogue place."""
    category = {c: i for i, c in enumerate(CATEGORIES)}
    place = {code: i for i, code in enumerate(catalogue_codes)}
    return sorted(
        grouped,
        key=lambda i: (category.get(i.category, len(category)), place.get(i.code, len(place)), i.code),
    )


def _trend_flag(flag: str) -> str | None:
    # detection.py knows the catalogue's flags; the model's generic "abnormal" is abnormal of unknown side.
    if not flag:
        return None
    return "critical" if flag == "abnormal" else flag


def points(series: Iterable[Row]) -> list[tuple[datetime, float, str | None, bool]]:
    return [(r.when, r.value, _trend_flag(r.flag), r.annual_check) for r in series]


def trend_of(indicator: Indicator, series: list[Row]) -> detection.Trend:
    return detection.detect_trend(points(series), direction_for(indicator.code))


def trend_words(trend: detection.Trend) -> tuple[str, ...]:
    return tuple(word for word in TREND_WORDS if word in trend.flags)
