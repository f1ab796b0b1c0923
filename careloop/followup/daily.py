"""When the worker's daily sweep is owed (pure: no Django).

The day's sweep is owed from `at` (local time) until an organization's tasks are made through today plus
the horizon: the mark a sweep leaves only once it has done the day's work (sweep.py, SweepState). A
worker started late in the day, or after a day it was down, sweeps at once; one that already swept
today waits for tomorrow.
"""

import datetime
from collections.abc import Iterable


def parse_time(text: str) -> datetime.time:
    """ "HH:MM" as a time; ValueError naming the setting's form otherwise."""
    try:
        hours, minutes = (int(part) for part in text.split(":"))
        return datetime.time(hours, minutes)
    except ValueError:
        raise ValueError(f"expected HH:MM, e.g. 02:00, not {text!r}") from None


def sweep_owed(
    now: datetime.datetime,
    at: datetime.time,
    planned_through: Iterable[datetime.date | None],
    horizon_days: int,
) -> bool:
    """`planned_through`: each organization's mark (None: never swept)."""
    if now.time() < at:
        return False
    goal = now.date() + datetime.timedelta(days=horizon_days)
    return any(mark is None or mark < goal for mark in planned_through)
