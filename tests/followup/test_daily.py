"""When the worker's daily sweep is owed (careloop/followup/daily.py), and the worker thread running it."""

import datetime
import threading

import pytest

from careloop.followup.daily import parse_time, sweep_owed
from careloop.followup.models import SweepState

AT = datetime.time(2, 0)
DAY = datetime.date(2026, 12, 7)
GOAL = DAY + datetime.timedelta(days=30)


@pytest.mark.parametrize(
    ("now", "marks", "owed"),
    [
        (datetime.datetime(2026, 12, 7, 1, 59), [None], False),  # before the hour: the night's run waits
        (datetime.datetime(2026, 12, 7, 2, 0), [None], True),  # never swept
        (datetime.datetime(2026, 12, 7, 2, 0), [GOAL - datetime.timedelta(days=1)], True),  # yesterday's
        (datetime.datetime(2026, 12, 7, 9, 30), [GOAL], False),  # done today
        (
            datetime.datetime(2026, 12, 7, 23, 0),
            [GOAL, GOAL - datetime.timedelta(days=3)],
            True,
        ),  # one behind
        (datetime.datetime(2026, 12, 7, 23, 0), [], False),  # no organization
    ],
)
def test_the_sweep_is_owed_from_its_hour_until_every_organization_is_done(now, marks, owed):
    assert sweep_owed(now, AT, marks, 30) is owed


@pytest.mark.parametrize(
    ("text", "expected"), [("02:00", datetime.time(2)), ("23:45", datetime.time(23, 45))]
)
def test_the_hour_reads_as_hh_mm(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["2am", "25:00", "", "02:00:00"])
def test_a_wrong_hour_says_what_it_expects(text):
    with pytest.raises(ValueError, match="HH:MM"):
        parse_time(text)


@pytest.mark.django_db(transaction=True)
def test_the_worker_thread_sweeps_when_owed_and_stops_when_told(org, settings):
    from careloop.followup.scheduler import sweep_daily

    settings.FOLLOWUP_SWEEP_AT = "00:00"
    stop = threading.Event()
    thread = threading.Thread(target=sweep_daily, args=(stop, 0.05))
    thread.start()
    try:
        for _ in range(100):
            if SweepState.objects.filter(organization=org).exists():
                break
            stop.wait(0.05)
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()
    assert SweepState.objects.filter(organization=org).exists()
