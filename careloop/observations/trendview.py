"""Shape one patient's results for the Trends tab: indicator picker, chart data, year-over-year table.

Pure: no Django import. Input is a list of `Row` (one per result, times already in local time, values in the
indicator's canonical unit); output is plain data (dataclasses and JSON-ready dicts) that templates and the
chart script read. Statistics come from `trends.py` (slope, p-value, change flags, year-over-year cells);
unit conversion from `units.py`; the reference range is passed in by the caller (`flags.reference_range`).
"""

# ruff: noqa: RUF001 -- unit labels use the multiplication sign, as labs print them.

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from careloop.observations import trends, units
from careloop.observations.catalogue import CATEGORIES, Indicator, RefRange
from careloop.observations.trends import Direction

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
TREND_WORDS = (trends.WORSENING, trends.NEWLY_ABNORMAL, trends.PERSISTENTLY_ABNORMAL, trends.IMPROVING)

# Unit tokens (units.py) as people read them; the canonical unit shows the catalogue's unit_display.
UNIT_LABELS = {
    "mm[Hg]": "mmHg",
    "/min": "/min",
    "Cel": "℃",
    "[degF]": "℉",
    "[in_i]": "in",
    "[lb_av]": "lb",
    "{jin}": "jin",
    "{chi}": "chi",
    "kg/m2": "kg/m²",
    "umol/L": "μmol/L",
    "ug/L": "μg/L",
    "ug/dL": "μg/dL",
    "ug/mg": "μg/mg",
    "meq/L": "mEq/L",
    "[IU]/L": "IU/L",
    "[IU]/mL": "IU/mL",
    "m[IU]/L": "mIU/L",
    "u[IU]/mL": "μIU/mL",
    "10*9/L": "×10⁹/L",
    "10*12/L": "×10¹²/L",
    "10*3/uL": "×10³/μL",
    "10*6/uL": "×10⁶/μL",
    "mL/min/{1.73_m2}": "mL/min/1.73m²",
    "{ratio}": "",
    "{ordinal}": "",
    "[pH]": "",
    "1": "",
}

ABNORMAL_FLAGS = frozenset({"high", "low", "critical_high", "critical_low", "abnormal"})
MAX_YEARS = 8  # columns of the year-over-year table: the latest years that have a check


class Row(NamedTuple):
    code: str
    when: datetime  # local time
    value: float  # canonical unit
    flag: str = ""
    comparator: str = ""  # "<", ">=", ... when the source reported a limit
    reported: str = ""  # the value as reported (shown for qualitative results: "2+")
    annual_check: bool = False  # part of an exam report (annual health check)


@dataclass(frozen=True)
class UnitOption:
    token: str
    label: str
    decimals: int


@dataclass(frozen=True)
class PickerItem:
    code: str
    name: str
    latest: str  # formatted in the canonical unit
    unit: str
    flag: str
    abnormal: bool
    words: tuple[str, ...]  # trend words, most urgent first (see TREND_WORDS)
    n: int


@dataclass(frozen=True)
class PickerGroup:
    category: str
    items: tuple[PickerItem, ...]


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


@dataclass(frozen=True)
class YoyCell:
    value: str
    arrow: str  # "↑" / "↓" / "→" / ""
    flag: str
    abnormal: bool
    annual_check: bool


@dataclass(frozen=True)
class YoyRow:
    code: str
    name: str
    unit: str
    cells: tuple[YoyCell | None, ...]  # one per year of the table; None where that year has no check


@dataclass(frozen=True)
class YoyTable:
    years: tuple[int, ...]
    rows: tuple[YoyRow, ...]


ARROWS = {trends.UP: "↑", trends.DOWN: "↓", trends.FLAT: "→"}


def direction_for(code: str) -> Direction:
    return DIRECTIONS.get(code, Direction.IN_RANGE)


def indicator_name(indicator: Indicator, zh: bool) -> str:
    return indicator.name_zh if zh else indicator.name_en


def unit_label(indicator: Indicator, token: str) -> str:
    if token == indicator.unit:
        return indicator.unit_display
    return UNIT_LABELS.get(token, token)


def unit_decimals(indicator: Indicator, token: str) -> int:
    """Decimals to show in another unit: the canonical decimals shifted by the factor's order of magnitude.

    Glucose in mg/dL (x18) loses one decimal (5.60 mmol/L -> 100.9 mg/dL); creatinine in mg/dL (/88.4) gains
    two (97 umol/L -> 1.10 mg/dL). Kept within 0..4. A display choice.
    """
    if token == indicator.unit:
        return indicator.decimals
    factor = indicator.conversions[token].factor  # canonical = reported x factor
    shift = round(math.log10(factor))
    return min(4, max(0, indicator.decimals + shift))


def unit_options(indicator: Indicator) -> list[UnitOption]:
    """The indicator's accepted units, canonical first (the order of the catalogue after that)."""
    if indicator.kind == "ordinal":
        return [UnitOption(indicator.unit, "", indicator.decimals)]
    return [
        UnitOption(t, unit_label(indicator, t), unit_decimals(indicator, t)) for t in indicator.conversions
    ]


def fmt(value: float | None, decimals: int) -> str:
    if value is None:
        return ""
    return f"{value:.{decimals}f}"


def signed(value: float | None, decimals: int) -> str | None:
    if value is None:
        return None
    text = f"{value:+.{decimals}f}"
    return text.lstrip("+-") if float(text) == 0 else text


def convert(indicator: Indicator, value: float, token: str) -> float:
    if token == indicator.unit:
        return value
    return units.from_canonical(indicator, value, token)


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


def _trend_flag(flag: str) -> str | None:
    # trends.py knows the catalogue's flags; the model's generic "abnormal" is abnormal of unknown side.
    if not flag:
        return None
    return "critical" if flag == "abnormal" else flag


def points(series: Iterable[Row]) -> list[tuple[datetime, float, str | None, bool]]:
    return [(r.when, r.value, _trend_flag(r.flag), r.annual_check) for r in series]


def trend_of(indicator: Indicator, series: list[Row]) -> trends.Trend:
    return trends.detect_trend(points(series), direction_for(indicator.code))


def trend_words(trend: trends.Trend) -> tuple[str, ...]:
    return tuple(word for word in TREND_WORDS if word in trend.flags)


def _display_value(indicator: Indicator, row: Row, token: str, decimals: int) -> str:
    if indicator.kind == "ordinal":
        return row.reported or fmt(row.value, decimals)
    return f"{row.comparator}{fmt(convert(indicator, row.value, token), decimals)}"


def picker(grouped: dict[Indicator, list[Row]], indicators: list[Indicator], zh: bool) -> list[PickerGroup]:
    """The indicators that have data, by category, each with its latest value and trend words.

    `indicators` gives the order (see `ordered_indicators`)."""
    by_category: dict[str, list[PickerItem]] = {}
    for indicator in indicators:
        series = grouped[indicator]
        latest = series[-1]
        by_category.setdefault(indicator.category, []).append(
            PickerItem(
                code=indicator.code,
                name=indicator_name(indicator, zh),
                latest=_display_value(indicator, latest, indicator.unit, indicator.decimals),
                unit=unit_label(indicator, indicator.unit),
                flag=latest.flag,
                abnormal=latest.flag in ABNORMAL_FLAGS,
                words=trend_words(trend_of(indicator, series)),
                n=len(series),
            )
        )
    return [PickerGroup(category, tuple(items)) for category, items in by_category.items()]


def ordered_indicators(grouped: dict[Indicator, list[Row]], catalogue_codes: list[str]) -> list[Indicator]:
    """The indicators that have data, by category (catalogue.CATEGORIES), then by catalogue place."""
    category = {c: i for i, c in enumerate(CATEGORIES)}
    place = {code: i for i, code in enumerate(catalogue_codes)}
    return sorted(
        grouped,
        key=lambda i: (category.get(i.category, len(category)), place.get(i.code, len(place)), i.code),
    )


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
    merged = trends.normalize_points(points(series))  # as detect_trend saw them: same-day results merged
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


def yoy_table(
    grouped: dict[Indicator, list[Row]], indicators: list[Indicator], zh: bool, max_years: int = MAX_YEARS
) -> YoyTable:
    """Indicators x years: the annual check of each year (else its last check), with the arrow against the
    previous year that has one (trends.year_over_year). Only the latest `max_years` years are shown."""
    cells_by_indicator = {ind: trends.year_over_year(points(grouped[ind])) for ind in indicators}
    years = sorted({cell.year for cells in cells_by_indicator.values() for cell in cells})[-max_years:]
    rows = []
    for indicator in indicators:
        cells = {cell.year: cell for cell in cells_by_indicator[indicator]}
        if not any(year in cells for year in years):
            continue
        rows.append(
            YoyRow(
                code=indicator.code,
                name=indicator_name(indicator, zh),
                unit=unit_label(indicator, indicator.unit),
                cells=tuple(_yoy_cell(indicator, grouped[indicator], cells.get(year)) for year in years),
            )
        )
    return YoyTable(tuple(years), tuple(rows))


def _yoy_cell(indicator: Indicator, series: list[Row], cell: trends.YearCell | None) -> YoyCell | None:
    if cell is None:
        return None
    flag = "abnormal" if cell.flag == "critical" else (cell.flag or "")
    if indicator.kind == "ordinal":
        # The reported text ("2+") of the row the cell came from.
        row = next((r for r in reversed(series) if r.when == cell.at), None)
        value = row.reported if row is not None and row.reported else fmt(cell.value, indicator.decimals)
    else:
        value = fmt(cell.value, indicator.decimals)
    return YoyCell(
        value=value,
        arrow=ARROWS.get(cell.arrow or "", ""),
        flag=flag,
        abnormal=bool(cell.abnormal),
        annual_check=cell.annual_check,
    )
