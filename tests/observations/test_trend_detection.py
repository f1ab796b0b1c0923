"""Change detection over one indicator's series: slope and its t-test, percent changes, flags, year table."""

import datetime
import math
import statistics

import pytest

from careloop.observations.trends import detection
from careloop.observations.trends.detection import (
    BACK_TO_NORMAL,
    IMPROVING,
    INSUFFICIENT_DATA,
    NEWLY_ABNORMAL,
    PERSISTENTLY_ABNORMAL,
    WORSENING,
    Direction,
    detect_trend,
    year_over_year,
)
from careloop.observations.trends.statistics import regularized_incomplete_beta, t_two_sided_p

LOWER = Direction.LOWER_IS_BETTER
HIGHER = Direction.HIGHER_IS_BETTER
IN_RANGE = Direction.IN_RANGE


def yearly(values, flags=None, start=2019):
    """One check a year on 1 June; flags default to none."""
    flags = flags or [None] * len(values)
    return [
        (datetime.date(start + i, 6, 1), v, f) for i, (v, f) in enumerate(zip(values, flags, strict=True))
    ]


# --- Student's t p-value ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("t", "df", "expected", "tolerance"),
    [
        # Printed two-sided 5 % critical values (3 decimals) from the standard t table.
        (2.228, 10, 0.05, 5e-4),
        (2.086, 20, 0.05, 5e-4),
        (12.706, 1, 0.05, 5e-5),
        (2.571, 5, 0.05, 5e-4),
        (2.042, 30, 0.05, 5e-4),
        (3.169, 10, 0.01, 5e-5),
        (2.845, 20, 0.01, 5e-5),
        # More precise critical values: the tolerance tightens accordingly.
        (2.2281388519649, 10, 0.05, 1e-9),
        (2.0859634472659, 20, 0.05, 1e-9),
        (1.959963984540054, 10**9, 0.05, 1e-7),  # df -> infinity: the normal distribution
        (0.0, 10, 1.0, 0.0),
        (0.0, 1, 1.0, 0.0),
        (math.inf, 3, 0.0, 0.0),
    ],
)
def test_t_p_value_matches_table_values(t, df, expected, tolerance):
    assert t_two_sided_p(t, df) == pytest.approx(expected, abs=tolerance)
    assert t_two_sided_p(-t, df) == pytest.approx(expected, abs=tolerance)


def closed_form_p(t, df):
    """Exact two-sided p for df 1 (Cauchy), 2 and 3 (closed forms of the t CDF)."""
    t = abs(t)
    if df == 1:
        return 1 - 2 / math.pi * math.atan(t)
    if df == 2:
        return 1 - t / math.sqrt(2 + t * t)
    u = t / math.sqrt(3)
    return 1 - 2 / math.pi * (u / (1 + u * u) + math.atan(u))


@pytest.mark.parametrize("df", [1, 2, 3])
@pytest.mark.parametrize("t", [0.01, 0.5, 1.0, 1.7, 3.0, 7.5, 40.0, 1e4])
def test_t_p_value_matches_closed_forms_for_small_df(t, df):
    assert t_two_sided_p(t, df) == pytest.approx(closed_form_p(t, df), rel=1e-10, abs=1e-15)


@pytest.mark.parametrize(("t", "df"), [(1.0, 0), (1.0, -2), (math.nan, 5)])
def test_t_p_value_refuses_meaningless_input(t, df):
    with pytest.raises(ValueError):
        t_two_sided_p(t, df)


@pytest.mark.parametrize(
    ("a", "b", "x", "expected"), [(1, 1, 0.3, 0.3), (2, 1, 0.5, 0.25), (1, 3, 0.5, 0.875)]
)
def test_incomplete_beta_matches_polynomial_cases(a, b, x, expected):
    # I_x(a, 1) = x^a and I_x(1, b) = 1 - (1 - x)^b.
    assert regularized_incomplete_beta(a, b, x) == pytest.approx(expected, rel=1e-12)


# --- the slope and its test ------------------------------------------------------------------------


def reference_fit(points):
    """Slope, SE and t computed independently with statistics.linear_regression on decimal years."""
    xs = [p[0].toordinal() / detection.DAYS_PER_YEAR for p in points]
    ys = [p[1] for p in points]
    slope, intercept = statistics.linear_regression(xs, ys)
    rss = sum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - statistics.fmean(xs)) ** 2 for x in xs)
    se = math.sqrt(rss / (len(xs) - 2) / sxx)
    return slope, se, slope / se


@pytest.mark.parametrize(
    "points",
    [
        yearly([128, 134, 139, 146, 152]),  # df 3
        yearly([7.9, 7.6, 7.0, 6.8]),  # df 2
        yearly([5.1, 4.2, 5.6]),  # df 1
        [
            (datetime.date(2024, 1, 5), 130),
            (datetime.date(2024, 3, 20), 142),
            (datetime.date(2024, 4, 2), 127),
            (datetime.date(2024, 9, 30), 150),
        ],
    ],
)
def test_slope_se_t_and_p_agree_with_an_independent_computation(points):
    trend = detect_trend(points, LOWER)
    slope, se, t = reference_fit(points)
    assert trend.slope_per_year == pytest.approx(slope, rel=1e-9)
    assert trend.slope_se == pytest.approx(se, rel=1e-9)
    assert trend.t_statistic == pytest.approx(t, rel=1e-9)
    assert trend.p_value == pytest.approx(closed_form_p(t, len(points) - 2), rel=1e-8)


# --- flags, table of series ------------------------------------------------------------------------

N, H, L, CH, CL = "normal", "high", "low", "critical_high", "critical_low"


@pytest.mark.parametrize(
    ("name", "points", "direction", "flags"),
    [
        (
            "rising SBP over 5 yearly checks",
            yearly([128, 134, 139, 146, 152], [N, N, N, H, H]),
            LOWER,
            {WORSENING, PERSISTENTLY_ABNORMAL},
        ),
        (
            "falling HbA1c",
            yearly([8.6, 8.1, 7.5, 7.0, 6.6], [H, H, H, H, H]),
            LOWER,
            {IMPROVING, PERSISTENTLY_ABNORMAL},
        ),
        (
            "falling HbA1c back under the cut-off",
            yearly([8.6, 8.1, 7.5, 7.0, 6.2], [H, H, H, H, N]),
            LOWER,
            {IMPROVING, BACK_TO_NORMAL},
        ),
        ("noisy flat SBP", yearly([128, 121, 131, 119, 127, 124], [N] * 6), LOWER, set()),
        (
            "noisy flat SBP, last reading a bit higher",
            yearly([128, 121, 131, 119, 127, 133], [N] * 6),
            LOWER,
            set(),
        ),
        ("newly abnormal LDL-C, small step", yearly([3.2, 3.3, 3.5], [N, N, H]), LOWER, {NEWLY_ABNORMAL}),
        (
            "persistently abnormal, flat",
            yearly([7.1, 7.2, 7.0, 7.1], [N, H, H, H]),
            LOWER,
            {PERSISTENTLY_ABNORMAL},
        ),
        (
            "high then critically high counts as persistent",
            yearly([165, 182], [H, CH]),
            LOWER,
            {PERSISTENTLY_ABNORMAL, WORSENING},
        ),
        ("back to normal SBP", yearly([150, 146, 136], [H, H, N]), LOWER, {BACK_TO_NORMAL}),
        (
            "HDL falling (higher is better)",
            yearly([1.45, 1.32, 1.20, 1.08, 0.95], [N, N, N, L, L]),
            HIGHER,
            {WORSENING, PERSISTENTLY_ABNORMAL},
        ),
        (
            "HDL rising (higher is better)",
            yearly([0.90, 1.00, 1.08, 1.19, 1.30], [L, L, N, N, N]),
            HIGHER,
            {IMPROVING},
        ),
        ("eGFR: two points, big drop", yearly([88, 71]), HIGHER, {WORSENING}),
        ("SBP: two points, 5 % step is within the threshold", yearly([130, 136.5]), LOWER, set()),
        ("weight: three points, last step beyond 10 %", yearly([70, 71, 79]), LOWER, {WORSENING}),
        ("weight: three points, last step down beyond 10 %", yearly([80, 81, 70]), LOWER, {IMPROVING}),
        (
            "TSH high and rising",
            yearly([3.9, 5.6, 7.2], [N, H, H]),
            IN_RANGE,
            {WORSENING, PERSISTENTLY_ABNORMAL},
        ),
        (
            "TSH high and falling back",
            yearly([7.4, 6.1, 4.0], [H, H, N]),
            IN_RANGE,
            {IMPROVING, BACK_TO_NORMAL},
        ),
        ("TSH low and falling", yearly([0.8, 0.3], [N, L]), IN_RANGE, {WORSENING, NEWLY_ABNORMAL}),
        ("TSH within range moving a lot", yearly([1.0, 2.5], [N, N]), IN_RANGE, set()),
        ("single point", yearly([130], [CH]), LOWER, {INSUFFICIENT_DATA}),
        ("no points", [], LOWER, {INSUFFICIENT_DATA}),
        ("missing flags: nothing abnormal-related", yearly([130, 150, 170, 190, 210]), LOWER, {WORSENING}),
        ("unflagged previous point: not newly abnormal", yearly([130, 131, 133], [N, None, H]), LOWER, set()),
        ("unflagged point breaks a persistent run", yearly([150, 146, 152], [H, None, H]), LOWER, set()),
        (
            "critical low glucose after normal (glucose is in_range)",
            yearly([5.0, 5.1, 2.6], [N, N, CL]),
            IN_RANGE,
            {NEWLY_ABNORMAL, WORSENING},
        ),
    ],
)
def test_flags(name, points, direction, flags):
    assert detect_trend(points, direction).flags == frozenset(flags), name


def test_rising_sbp_is_significant_with_a_slope_near_six_a_year():
    trend = detect_trend(yearly([128, 134, 139, 146, 152], [N, N, N, H, H]), "lower_is_better")
    assert trend.n == 5
    assert trend.slope_per_year == pytest.approx(6.0, abs=0.05)
    assert trend.significant
    assert trend.p_value is not None and trend.p_value < 0.001
    assert trend.percent_change_since_first == pytest.approx((152 - 128) / 128 * 100)
    assert trend.percent_change_since_previous == pytest.approx((152 - 146) / 146 * 100)
    assert trend.abnormal_streak == 2
    assert (trend.first_at, trend.last_at) == (datetime.date(2019, 6, 1), datetime.date(2023, 6, 1))


def test_noisy_flat_series_is_not_significant():
    trend = detect_trend(yearly([128, 121, 131, 119, 127, 124], [N] * 6), LOWER)
    assert not trend.significant
    assert trend.p_value is not None and trend.p_value > 0.5


def test_significance_needs_three_points():
    trend = detect_trend(yearly([120, 160]), LOWER)
    assert trend.slope_per_year == pytest.approx(40 * 365.2425 / 366)  # 2020 is a leap year
    assert (trend.slope_se, trend.t_statistic, trend.p_value) == (None, None, None)
    assert not trend.significant


def test_perfect_line_is_significant_without_dividing_by_zero():
    points = [(datetime.date(2020, 1, 1) + datetime.timedelta(days=100 * i), 5.0 + i) for i in range(4)]
    trend = detect_trend(points, LOWER)
    assert trend.slope_se == pytest.approx(0.0, abs=1e-9)
    assert trend.significant
    assert WORSENING in trend.flags


@pytest.mark.parametrize("n", [2, 3, 6])
def test_all_equal_values_have_zero_slope_and_no_flags(n):
    trend = detect_trend(yearly([5.6] * n, [N] * n), LOWER)
    assert trend.slope_per_year == 0.0
    assert not trend.significant
    assert trend.flags == frozenset()
    assert trend.percent_change_since_first == 0.0
    if n >= 3:
        assert (trend.t_statistic, trend.p_value) == (0.0, 1.0)


def test_unsorted_input_is_sorted():
    points = yearly([128, 134, 139, 146, 152], [N, N, N, H, H])
    shuffled = [points[3], points[0], points[4], points[2], points[1]]
    assert detect_trend(shuffled, LOWER) == detect_trend(points, LOWER)


def test_same_day_duplicates_keep_the_latest_reading_of_the_day():
    tz = datetime.timezone(datetime.timedelta(hours=8))
    points = [
        (datetime.datetime(2024, 3, 1, 9, 30, tzinfo=tz), 162, H),
        (datetime.date(2023, 3, 1), 128, N),
        (datetime.datetime(2024, 3, 1, 8, 0, tzinfo=tz), 171, H),  # earlier that morning
    ]
    trend = detect_trend(points, LOWER)
    assert trend.n == 2
    assert trend.last_value == 162
    assert trend.flags == frozenset({NEWLY_ABNORMAL, WORSENING})


def test_same_day_same_time_keeps_the_last_given():
    points = [(datetime.date(2024, 3, 1), 5.0, N), (datetime.date(2024, 3, 1), 6.0, N)]
    trend = detect_trend(points, LOWER)
    assert (trend.n, trend.last_value) == (1, 6.0)
    assert trend.flags == frozenset({INSUFFICIENT_DATA})


def test_percent_change_from_zero_is_none():
    trend = detect_trend(yearly([0, 0.4]), LOWER)
    assert trend.percent_change_since_first is None
    assert trend.percent_change_since_previous is None


def test_step_threshold_can_be_set_per_indicator():
    points = yearly([130, 136.5])  # +5 %
    assert detect_trend(points, LOWER, step_threshold=0.04).flags == frozenset({WORSENING})


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ([(datetime.date(2024, 1, 1), "abc", "normal")], "point 0: value 'abc' is not a number"),
        ([(datetime.date(2024, 1, 1), 1, "normal"), (datetime.date(2024, 2, 1), math.nan, None)], "point 1"),
        ([(datetime.date(2024, 1, 1), 1, "H")], "unknown flag 'H'"),
        ([("2024-01-01", 1, "normal")], "'when' must be a date"),
        ([(datetime.date(2024, 1, 1),)], "point 0: expected"),
    ],
)
def test_bad_points_are_refused_with_where_and_what(points, message):
    with pytest.raises(ValueError, match=message):
        detect_trend(points, LOWER)


def test_unknown_direction_is_refused():
    with pytest.raises(ValueError):
        detect_trend(yearly([1, 2]), "up_is_good")


# --- year over year --------------------------------------------------------------------------------


def test_year_table_takes_the_last_check_of_each_year_and_arrows_against_the_previous_year():
    points = [
        (datetime.date(2021, 3, 2), 5.4, N),
        (datetime.date(2021, 11, 20), 5.8, N),  # last of 2021
        (datetime.date(2022, 6, 1), 6.5, H),  # +12 %: up
        (datetime.date(2023, 6, 1), 6.4, H),  # -1.5 %: flat
        (datetime.date(2023, 1, 15), 7.0, H),
        (datetime.date(2025, 6, 1), 5.9, N),  # 2024 missing: compared with 2023, -7.8 %: down
    ]
    cells = year_over_year(points)
    rows = [(c.year, c.value, c.arrow, c.abnormal) for c in cells]
    assert rows == [
        (2021, 5.8, None, False),
        (2022, 6.5, "up", True),
        (2023, 6.4, "flat", True),
        (2025, 5.9, "down", False),
    ]
    assert cells[1].percent_change == pytest.approx((6.5 - 5.8) / 5.8 * 100)
    assert cells[0].percent_change is None


def test_year_table_prefers_the_annual_health_check():
    points = [
        (datetime.date(2024, 4, 10), 142, H, True),  # annual health check
        (datetime.date(2024, 10, 3), 128, N),  # a later clinic reading
        (datetime.date(2025, 4, 12), 138, N, True),
        (datetime.date(2025, 2, 1), 150, H),
    ]
    cells = year_over_year(points)
    assert [(c.year, c.value, c.annual_check, c.arrow) for c in cells] == [
        (2024, 142, True, None),
        (2025, 138, True, "flat"),
    ]


@pytest.mark.parametrize(
    ("previous", "current", "arrow"),
    [
        (100, 105, "flat"),  # the band's edge (±5 %) is flat
        (100, 95, "flat"),
        (100, 105.1, "up"),
        (100, 94.9, "down"),
        (0, 0, "flat"),
        (0, 0.1, "up"),
        (-2.0, -2.05, "flat"),  # relative to |previous|
    ],
)
def test_year_table_flat_band(previous, current, arrow):
    cells = year_over_year(yearly([previous, current]))
    assert cells[1].arrow == arrow
    assert cells[1].abnormal is None  # unflagged


def test_year_table_of_nothing_is_empty():
    assert year_over_year([]) == []
