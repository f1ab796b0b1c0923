"""Age in completed years as plain date arithmetic, the same in Python, SQLite and PostgreSQL."""

from __future__ import annotations

import datetime

from django.db.models import Case, Expression, IntegerField, Q, Value, When
from django.db.models.functions import ExtractYear


def born_by(today: datetime.date, years: int) -> datetime.date:
    """The last birth date of someone aged at least `years` today (Patient.age's rule).

    Born on 29 February, one turns a year older on 1 March in a common year: so when today is 29 February
    and `years` ago has none, the bound is 28 February.
    """
    year = min(max(today.year - years, datetime.MINYEAR), datetime.MAXYEAR)
    try:
        return today.replace(year=year)
    except ValueError:
        return today.replace(year=year, day=28)


def age_expression(today: datetime.date) -> Expression:
    """The age column as an SQL expression, for comparing age with another fact (`age > bmi()`)."""
    birthday_to_come = Q(birth_date__month__gt=today.month) | Q(
        birth_date__month=today.month, birth_date__day__gt=today.day
    )
    return (
        Value(today.year)
        - ExtractYear("birth_date")
        - Case(When(birthday_to_come, then=Value(1)), default=Value(0), output_field=IntegerField())
    )
