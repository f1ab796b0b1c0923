"""A rule over the population is one query; the snapshots of any number of patients a fixed few."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careloop.facts.compile import matching, population
from careloop.facts.snapshots import snapshot_for
from careloop.rules import parse
from careloop.rules.default_tags import DEFAULT_TAGS
from tests.factories import make_organization
from tests.facts.population import seed

TODAY = datetime.date(2026, 12, 7)
EVERY_TABLE = (
    'has_condition("I10") or has_tag("高血压") or has_medication("依那普利") or consent("care")'
    ' or discharged_within(30, "") or score("44261-6") > 5 or bmi() > 24 or latest("8480-6") > 140'
    ' or trend("8480-6") == "worsening" or latest_days("8480-6") < 30 or age > 60'
    " or deceased or moved or days_since_contact > 30 or open_alerts() >= 1"
)


@pytest.mark.django_db
def test_a_rule_over_the_whole_population_is_one_query(org):
    seed(org, TODAY, randoms=10)
    for text in [EVERY_TABLE, *DEFAULT_TAGS.values()]:
        with CaptureQueriesContext(connection) as captured:
            list(matching(parse(text), org.pk, TODAY))
        assert len(captured) == 1, text


@pytest.mark.django_db
def test_the_snapshots_cost_the_same_queries_for_five_or_sixty_patients():
    small, large = make_organization(), make_organization("大医院")
    seed(small, TODAY, randoms=0)
    seed(large, TODAY, randoms=55)
    counts = []
    for organization in (small, large):
        with CaptureQueriesContext(connection) as captured:
            found = snapshot_for(population(organization.pk), TODAY)
        counts.append(len(captured))
        assert len(found) == population(organization.pk).count()
    assert counts[0] == counts[1] == 11


@pytest.mark.django_db
def test_snapshots_of_loaded_patients_are_those_of_the_queryset(org):
    patients = seed(org, TODAY, randoms=5)
    assert snapshot_for(patients[:3], TODAY) == {
        pk: facts
        for pk, facts in snapshot_for(population(org.pk), TODAY).items()
        if pk in {p.pk for p in patients[:3]}
    }
