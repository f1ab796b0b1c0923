"""Schedule arithmetic of follow-up protocols (careloop/followup/schedule.py): table cases."""

from datetime import date

import pytest

from careloop.followup.schedule import Interval, Phase, Step, occurrence, occurrences, plan, rescheduled

D = date


@pytest.mark.parametrize(
    ("start", "interval", "times", "expected"),
    [
        (D(2026, 1, 31), "1m", 1, D(2026, 2, 28)),
        (D(2028, 1, 31), "1m", 1, D(2028, 2, 29)),  # a leap year
        (D(2026, 1, 31), "1m", 2, D(2026, 3, 31)),  # from the start, not from 28 February: no drift
        (D(2026, 1, 31), "1m", 3, D(2026, 4, 30)),
        (D(2026, 11, 30), "3m", 1, D(2027, 2, 28)),  # across the year
        (D(2026, 12, 15), "1m", 1, D(2027, 1, 15)),
        (D(2028, 2, 29), "1y", 1, D(2029, 2, 28)),
        (D(2028, 2, 29), "1y", 4, D(2032, 2, 29)),
        (D(2026, 12, 29), "3d", 1, D(2027, 1, 1)),
        (D(2026, 12, 7), "2w", 1, D(2026, 12, 21)),
        (D(2026, 12, 7), "0d", 1, D(2026, 12, 7)),
        (D(2026, 12, 7), "1m", 0, D(2026, 12, 7)),
    ],
)
def test_an_interval_moves_a_date_and_a_short_month_ends_on_its_last_day(start, interval, times, expected):
    assert Interval.parse(interval).after(start, times) == expected


@pytest.mark.parametrize("text", ["", "3", "m", "-1d", "1.5m", "3 days", "10000d", "1q"])
def test_an_interval_is_a_number_and_a_unit(text):
    with pytest.raises(ValueError, match="is not an interval"):
        Interval.parse(text)


POST_DISCHARGE = [
    Step("call-d3", Interval.parse("3d"), before=1, after=2),
    Step("call-d7", Interval.parse("7d"), after=3),
    Step("call-d30", Interval.parse("30d"), before=3, after=7),
]
# Monthly three times after the first visit, then every three months without end.
STEPPED = Step(
    "visit",
    Interval.parse("1m"),
    after=14,
    phases=(Phase(Interval.parse("1m"), 3), Phase(Interval.parse("3m"))),
)


@pytest.mark.parametrize(
    ("number", "due"),
    [
        (0, D(2027, 1, 31)),
        (1, D(2027, 2, 28)),
        (2, D(2027, 3, 31)),
        (3, D(2027, 4, 30)),
        (4, D(2027, 7, 30)),  # the quarterly phase counts from the end of the monthly one (30 April)
        (5, D(2027, 10, 30)),
        (8, D(2028, 7, 30)),
    ],
)
def test_a_stepped_recurrence_goes_monthly_then_quarterly(number, due):
    assert occurrence(D(2026, 12, 31), STEPPED, number).due == due


def test_a_plan_lists_every_task_by_date_with_its_window():
    found = plan(D(2026, 12, 7), POST_DISCHARGE, until=D(2027, 12, 31))
    assert [(o.step, o.due, o.opens, o.closes) for o in found] == [
        ("call-d3", D(2026, 12, 10), D(2026, 12, 9), D(2026, 12, 12)),
        ("call-d7", D(2026, 12, 14), D(2026, 12, 14), D(2026, 12, 17)),
        ("call-d30", D(2027, 1, 6), D(2027, 1, 3), D(2027, 1, 13)),
    ]


def test_an_endless_step_stops_at_the_horizon_and_a_counted_one_at_its_count():
    endless = list(occurrences(D(2026, 12, 31), STEPPED, until=D(2028, 1, 31)))
    assert [o.number for o in endless] == [0, 1, 2, 3, 4, 5, 6]
    counted = Step("monthly", Interval.parse("0d"), phases=(Phase(Interval.parse("1m"), 2),))
    assert counted.count == 3
    assert len(list(occurrences(D(2026, 1, 1), counted, until=D(2030, 1, 1)))) == 3
    with pytest.raises(IndexError):
        occurrence(D(2026, 1, 1), counted, 3)


@pytest.mark.parametrize(
    ("today", "status"),
    [
        (D(2026, 12, 8), "upcoming"),
        (D(2026, 12, 9), "open"),
        (D(2026, 12, 12), "open"),
        (D(2026, 12, 13), "overdue"),
    ],
)
def test_a_task_is_upcoming_then_open_in_its_window_then_overdue(today, status):
    [first] = [o for o in plan(D(2026, 12, 7), POST_DISCHARGE, until=D(2026, 12, 10))]
    assert first.status_on(today) == status


def test_a_moved_anchor_reschedules_only_the_pending_tasks_it_is_given():
    moved = rescheduled(D(2026, 12, 9), POST_DISCHARGE, [("call-d7", 0), ("call-d30", 0), ("gone", 0)])
    assert {key: o.due for key, o in moved.items()} == {
        ("call-d7", 0): D(2026, 12, 16),
        ("call-d30", 0): D(2027, 1, 8),
    }


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (lambda: Step("x", Interval.parse("1d"), before=-1), "negative"),
        (
            lambda: Step(
                "x",
                Interval.parse("1d"),
                phases=(Phase(Interval.parse("1m")), Phase(Interval.parse("3m"), 2)),
            ),
            "only the last phase",
        ),
        (lambda: Step("x", Interval.parse("1d"), phases=(Phase(Interval.parse("0d"), 2),)), "move forward"),
    ],
)
def test_a_step_that_cannot_be_scheduled_is_refused(step, message):
    with pytest.raises(ValueError, match=message):
        step()


def test_two_steps_with_one_key_are_refused():
    with pytest.raises(ValueError, match="its own key"):
        plan(D(2026, 1, 1), [POST_DISCHARGE[0], POST_DISCHARGE[0]], until=D(2026, 2, 1))
