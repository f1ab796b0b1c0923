"""The facts of follow-up on the seeded edge cases: what each patient's value is, not only that SQL and
Python agree on it (test_sql_matches_python.py)."""

import datetime

import pytest

from careloop.facts.compile import matching, population
from careloop.facts.snapshots import snapshot_for
from careloop.rules import parse
from tests.facts.population import seed

TODAY = datetime.date(2026, 12, 7)
pytestmark = pytest.mark.django_db


def test_the_newest_successful_contact_counts_and_a_patient_never_reached_is_missing(org):
    nobody, turns_65_today, turns_65_tomorrow, leap, other = seed(org, TODAY, randoms=0)
    facts = snapshot_for(population(org.pk), TODAY)
    assert facts[nobody.pk].field("days_since_contact") is None
    assert facts[turns_65_today.pk].field("days_since_contact") == 90  # a later failed attempt: no matter
    assert facts[turns_65_tomorrow.pk].field("days_since_contact") is None  # only failed attempts
    assert facts[leap.pk].field("days_since_contact") == 0  # a refusal reached the patient
    assert facts[other.pk].field("days_since_contact") == 30
    found = {text: set(matching(parse(text), org.pk, TODAY).values_list("pk", flat=True)) for text in (
        "days_since_contact >= 90", "not (days_since_contact < 90)", "days_since_contact == 30",
    )}  # fmt: skip
    assert found["days_since_contact >= 90"] == {turns_65_today.pk}
    assert found["not (days_since_contact < 90)"] == {turns_65_today.pk, nobody.pk, turns_65_tomorrow.pk}
    assert found["days_since_contact == 30"] == {other.pk}


def test_unresolved_alerts_are_counted_and_the_dates_of_leaving_are_the_booleans(org):
    nobody, _, turns_65_tomorrow, leap, other = seed(org, TODAY, randoms=0)
    facts = snapshot_for(population(org.pk), TODAY)
    counts = {patient.pk: facts[patient.pk].call("open_alerts", ()) for patient in (nobody, leap, other)}
    assert counts == {nobody.pk: 0, leap.pk: 3, other.pk: 1}
    assert facts[turns_65_tomorrow.pk].call("open_alerts", ()) == 0  # its one alert is resolved
    assert facts[turns_65_tomorrow.pk].field("deceased") is True
    assert facts[leap.pk].field("moved") is True and facts[leap.pk].field("deceased") is False
    zero = set(matching(parse("open_alerts() == 0"), org.pk, TODAY).values_list("pk", flat=True))
    assert zero == {nobody.pk, turns_65_tomorrow.pk}
    assert list(matching(parse("open_alerts() > 2"), org.pk, TODAY)) == [leap]
