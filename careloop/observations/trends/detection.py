"""Change detection over one indicator's series for one patient (pure: no Django, standard library only).

Input is a list of points ``(when, value, flag)`` — ``when`` a date or datetime (already in the
organization's local time: calendar days and years are taken as given), ``value`` in the indicator's
canonical unit, ``flag`` the catalogue's flag (``normal``, ``high``, ``low``, ``critical_high``,
``critical_low``; ``critical`` is accepted as abnormal too; ``None`` or ``""`` means "not flagged").
A point may carry a fourth item, ``annual_check=True``, to mark the annual health-check result.

Statistics used:

- Trend: ordinary least-squares regression of value on decimal years (day ordinal / 365.2425, the mean
  Gregorian year), slope standard error ``sqrt(s² / Sxx)`` with ``s² = RSS / (n - 2)``, and the t-test of
  H0: slope = 0 with n - 2 degrees of freedom (e.g. Draper & Smith, *Applied Regression Analysis*,
  3rd ed., 1998, ch. 1 and 3).
- Two-sided p-value of Student's t: see `statistics`.
- Short series: a single step is judged against a relative change threshold, the idea behind the
  reference change value of laboratory medicine (Harris & Yasaka, Clin Chem 1983;29:25-30; Fraser,
  *Biological Variation: From Principles to Practice*, AACC Press 2001). See ``detect_trend``.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, NamedTuple

from careloop.observations.trends.statistics import t_two_sided_p

ALPHA = 0.05  # two-sided significance level of the slope test
DAYS_PER_YEAR = 365.2425  # mean Gregorian year, so decimal years = day ordinal / DAYS_PER_YEAR
SHORT_SERIES_MAX_POINTS = 3  # at n <= 3 the slope test has df <= 1 (critical |t| = 12.71): no power
DEFAULT_STEP_THRESHOLD = 0.10  # relative last step that counts as a change in a short series (product choice)
DEFAULT_FLAT_BAND = 0.05  # year-over-year arrow is "flat" within ±5 % of the previous year's value

NEWLY_ABNORMAL = "newly_abnormal"
PERSISTENTLY_ABNORMAL = "persistently_abnormal"
WORSENING = "worsening"
IMPROVING = "improving"
BACK_TO_NORMAL = "back_to_normal"
INSUFFICIENT_DATA = "insufficient_data"

NORMAL = "normal"
HIGH_FLAGS = frozenset({"high", "critical_high"})
LOW_FLAGS = frozenset({"low", "critical_low"})
ABNORMAL_FLAGS = HIGH_FLAGS | LOW_FLAGS | {"critical"}
KNOWN_FLAGS = ABNORMAL_FLAGS | {NORMAL}

UP, DOWN, FLAT = "up", "down", "flat"


class Direction(StrEnum):
    """Which way is better for an indicator."""

    LOWER_IS_BETTER = "lower_is_better"  # SBP, LDL-C, HbA1c, weight
    HIGHER_IS_BETTER = "higher_is_better"  # HDL-C, eGFR
    IN_RANGE = "in_range"  # TSH: out of range either way is bad


class Point(NamedTuple):
    when: date  # a date or a datetime
    value: float
    flag: str | None = None
    annual_check: bool = False


@dataclass(frozen=True)
class Trend:
    n: int  # points after merging same-day duplicates
    first_at: date | None
    last_at: date | None
    first_value: float | None
    last_value: float | None
    slope_per_year: float | None  # canonical unit per year; None below 2 points
    slope_se: float | None  # None below 3 points (no residual degrees of freedom)
    t_statistic: float | None
    p_value: float | None  # two-sided
    significant: bool  # p < ALPHA and n >= 3
    percent_change_since_first: float | None  # None when the reference value is 0
    percent_change_since_previous: float | None
    abnormal_streak: int  # how many of the latest points in a row are abnormal
    flags: frozenset[str]


@dataclass(frozen=True)
class YearCell:
    year: int
    at: date
    value: float
    flag: str | None
    abnormal: bool | None  # None when the point carries no flag
    arrow: str | None  # up / down / flat against the previous cell; None for the first cell
    percent_change: float | None  # against the previous cell
    annual_check: bool


# --- input ---------------------------------------------------------------------------------------


def _day(when: date) -> date:
    return when.date() if isinstance(when, datetime) else when


def _sort_key(when: date) -> tuple[date, float]:
    # Sort by calendar day, then time of day; a plain date sorts before any time on that day. Aware and
    # naive datetimes can mix this way without a TypeError (the caller gives local times).
    if isinstance(when, datetime):
        return when.date(), when.hour * 3600 + when.minute * 60 + when.second + when.microsecond / 1e6
    return when, -1.0


def normalize_points(points: Iterable[Sequence[Any]]) -> list[Point]:
    """Check, sort and merge same-day duplicates.

    Points are sorted by time (stable, so input order breaks ties). Several points on one calendar day
    become one: the latest of that day, or the last given when their times are equal — a re-measured
    or corrected reading replaces the earlier one of the same visit. Raises ValueError naming the point
    (0-based position in the input) for a missing date, a non-finite value or an unknown flag.
    """
    checked: list[Point] = []
    for position, raw in enumerate(points):
        try:
            point = Point(*raw)
        except TypeError as error:
            raise ValueError(
                f"point {position}: expected (when, value, flag[, annual_check]), got {raw!r}"
            ) from error
        if not isinstance(point.when, date):
            raise ValueError(f"point {position}: 'when' must be a date or datetime, got {point.when!r}")
        try:
            value = float(point.value)
        except (TypeError, ValueError) as error:
            raise ValueError(f"point {position}: value {point.value!r} is not a number") from error
        if not math.isfinite(value):
            raise ValueError(f"point {position}: value {point.value!r} is not finite")
        flag = (point.flag or "").strip().lower() or None
        if flag is not None and flag not in KNOWN_FLAGS:
            expected = ", ".join(sorted(KNOWN_FLAGS))
            raise ValueError(f"point {position}: unknown flag {point.flag!r}; expected one of {expected}")
        checked.append(Point(point.when, value, flag, bool(point.annual_check)))
    checked.sort(key=lambda p: _sort_key(p.when))
    merged: list[Point] = []
    for point in checked:
        if merged and _day(merged[-1].when) == _day(point.when):
            merged[-1] = point
        else:
            merged.append(point)
    return merged


def is_abnormal(flag: str | None) -> bool | None:
    """True / False for a flagged point, None when it carries no flag."""
    if flag is None:
        return None
    return flag in ABNORMAL_FLAGS


# --- regression ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fit:
    slope: float | None
    se: float | None
    t: float | None
    p: float | None


def _fit(points: Sequence[Point]) -> _Fit:
    """OLS slope of value on decimal years with its standard error, t and two-sided p (df = n - 2)."""
    n = len(points)
    if n < 2:
        return _Fit(None, None, None, None)
    ys = [p.value for p in points]
    if all(y == ys[0] for y in ys):
        # Zero variance: the slope is exactly 0; there is no evidence of change (t = 0, p = 1).
        return _Fit(0.0, 0.0, 0.0, 1.0) if n >= 3 else _Fit(0.0, None, None, None)
    # Days since the first point keep the numbers small; the slope is the same as on decimal years.
    xs = [(_day(p.when) - _day(points[0].when)).days / DAYS_PER_YEAR for p in points]
    x_mean = math.fsum(xs) / n
    y_mean = math.fsum(ys) / n
    sxx = math.fsum((x - x_mean) ** 2 for x in xs)  # > 0: same-day points were merged
    sxy = math.fsum((x - x_mean) * (y - y_mean) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx
    if n == 2:
        return _Fit(slope, None, None, None)
    intercept = y_mean - slope * x_mean
    rss = math.fsum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys, strict=True))
    se = math.sqrt(rss / (n - 2) / sxx)
    if se == 0.0:
        # A perfect straight line with a non-zero slope: the evidence is as strong as it gets.
        return _Fit(slope, 0.0, math.copysign(math.inf, slope), 0.0)
    t = slope / se
    return _Fit(slope, se, t, t_two_sided_p(t, n - 2))


def _percent_change(old: float, new: float) -> float | None:
    if old == 0:
        return None
    return (new - old) / abs(old) * 100.0


# --- flags ---------------------------------------------------------------------------------------


def _bad_sign(direction: Direction, points: Sequence[Point]) -> int:
    """+1 when rising is bad, -1 when falling is bad, 0 when it cannot be said.

    For ``in_range`` the bad side is the side the series is out of range on: the latest point's flag when
    it is abnormal, else the previous point's (a high value coming back down is improving); a series
    that is in range (or unflagged) at its last two points has no bad direction.
    """
    if direction == Direction.LOWER_IS_BETTER:
        return 1
    if direction == Direction.HIGHER_IS_BETTER:
        return -1
    for point in reversed(points[-2:]):
        if point.flag in HIGH_FLAGS:
            return 1
        if point.flag in LOW_FLAGS:
            return -1
    return 0


def _abnormal_streak(points: Sequence[Point]) -> int:
    streak = 0
    for point in reversed(points):
        if not is_abnormal(point.flag):
            break
        streak += 1
    return streak


def detect_trend(
    points: Iterable[Sequence[Any]],
    direction: Direction | str,
    *,
    step_threshold: float = DEFAULT_STEP_THRESHOLD,
) -> Trend:
    """Slope, significance, percent changes and change flags of one indicator's series.

    Points are checked, sorted and same-day duplicates merged first (see ``normalize_points``);
    "previous" means the point just before the latest one.

    Flags:

    - ``insufficient_data``: fewer than 2 points. No other flag is then set.
    - ``newly_abnormal``: the latest point is abnormal and the previous one is normal.
    - ``back_to_normal``: the latest point is normal and the previous one is abnormal.
    - ``persistently_abnormal``: the latest 2 or more points in a row are all abnormal (any abnormal flag,
      high or low). A point without a flag breaks the run: we do not count what we do not know.
      ``abnormal_streak`` gives the run's length for rules that want 3 or more.
    - ``worsening`` / ``improving``: the slope is significant (two-sided p < 0.05 and n >= 3) in the bad /
      good direction. For a short series (n <= 3 points) whose slope is not significant, the last step
      counts instead when its relative size |latest - previous| / |previous| exceeds ``step_threshold``
      (default 10 %). Why: with 3 points the t-test has 1 degree of freedom and needs |t| > 12.71, with
      2 points it cannot be run at all, so the slope alone would never call a change between the first
      few checks. From 4 points on only the slope decides, so one noisy last reading does not flag a flat
      series. The 10 % default is a product choice, not a clinical figure: callers should pass the
      indicator's reference change value (Fraser 2001) when the catalogue carries one.
      For ``in_range`` indicators the bad direction is away from the range on the side the series is
      out of it (see ``_bad_sign``); a series within range is neither worsening nor improving.
    """
    direction = Direction(direction)
    series = normalize_points(points)
    n = len(series)
    fit = _fit(series)
    significant = fit.p is not None and fit.p < ALPHA and n >= 3
    flags: set[str] = set()
    change_first = change_previous = None
    if n < 2:
        flags.add(INSUFFICIENT_DATA)
    else:
        first, previous, latest = series[0], series[-2], series[-1]
        change_first = _percent_change(first.value, latest.value)
        change_previous = _percent_change(previous.value, latest.value)
        latest_abnormal, previous_abnormal = is_abnormal(latest.flag), is_abnormal(previous.flag)
        if latest_abnormal and previous_abnormal is False:
            flags.add(NEWLY_ABNORMAL)
        if latest_abnormal is False and previous_abnormal:
            flags.add(BACK_TO_NORMAL)
        if latest_abnormal and previous_abnormal:
            flags.add(PERSISTENTLY_ABNORMAL)
        movement = 0
        if significant and fit.slope:
            movement = 1 if fit.slope > 0 else -1
        elif (
            n <= SHORT_SERIES_MAX_POINTS
            and change_previous is not None
            and abs(change_previous) > step_threshold * 100.0
        ):
            movement = 1 if change_previous > 0 else -1
        bad = _bad_sign(direction, series)
        if movement and bad:
            flags.add(WORSENING if movement == bad else IMPROVING)
    return Trend(
        n=n,
        first_at=series[0].when if series else None,
        last_at=series[-1].when if series else None,
        first_value=series[0].value if series else None,
        last_value=series[-1].value if series else None,
        slope_per_year=fit.slope,
        slope_se=fit.se,
        t_statistic=fit.t,
        p_value=fit.p,
        significant=significant,
        percent_change_since_first=change_first,
        percent_change_since_previous=change_previous,
        abnormal_streak=_abnormal_streak(series),
        flags=frozenset(flags),
    )


# --- year over year ------------------------------------------------------------------------------


def _arrow(previous: float, current: float, flat_band: float) -> str:
    delta = current - previous
    if abs(delta) <= flat_band * abs(previous):
        return FLAT
    return UP if delta > 0 else DOWN


def year_over_year(
    points: Iterable[Sequence[Any]], *, flat_band: float = DEFAULT_FLAT_BAND
) -> list[YearCell]:
    """One cell per calendar year that has a check, oldest first.

    The cell's value is the year's annual health check (a point marked ``annual_check``; the last one if
    several), otherwise the last check of the year. The arrow compares with the previous cell, which is
    the previous year that has a check (a gap year is skipped, not invented): ``flat`` when
    |change| <= ``flat_band`` * |previous value| (default ±5 %, a display choice; with a previous value
    of 0 only an equal value is flat), otherwise ``up`` or ``down``. ``abnormal`` comes from the
    point's flag (None when unflagged).
    """
    by_year: dict[int, Point] = {}
    for point in normalize_points(points):
        year = _day(point.when).year
        kept = by_year.get(year)
        if kept is None or point.annual_check or not kept.annual_check:
            by_year[year] = point
    cells: list[YearCell] = []
    previous: Point | None = None
    for year in sorted(by_year):
        point = by_year[year]
        arrow = change = None
        if previous is not None:
            change = _percent_change(previous.value, point.value)
            arrow = _arrow(previous.value, point.value, flat_band)
        cells.append(
            YearCell(
                year=year,
                at=point.when,
                value=point.value,
                flag=point.flag,
                abnormal=is_abnormal(point.flag),
                arrow=arrow,
                percent_change=change,
                annual_check=point.annual_check,
            )
        )
        previous = point
    return cells
