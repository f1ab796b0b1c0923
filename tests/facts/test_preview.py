"""The rule editor's "try it": how many patients a rule matches now and a sample, or the rule's error."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careloop.facts.preview import preview
from careloop.rules import RuleError
from tests.factories import make_organization
from tests.facts.population import seed

TODAY = datetime.date(2026, 12, 7)


@pytest.mark.django_db
def test_a_preview_counts_the_matches_and_shows_a_sample_in_two_queries(org):
    patients = seed(org, TODAY, randoms=30)
    seed(make_organization("另一家医院"), TODAY, randoms=30)
    with CaptureQueriesContext(connection) as captured:
        found = preview("age >= 18", org.pk, sample=5, today=TODAY)
    assert not isinstance(found, RuleError)
    count, sample = found
    adults = [p for p in patients if p.age(TODAY) >= 18]
    assert count == len(adults) > 5
    assert len(sample) == 5 and {p.pk for p in sample} <= {p.pk for p in adults}
    assert len(captured) == 2


@pytest.mark.django_db
def test_a_preview_of_a_rule_nobody_matches_is_zero_and_empty(org):
    seed(org, TODAY, randoms=3)
    assert preview('has_tag("无此标签")', org.pk, today=TODAY) == (0, [])


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("age >= ", 8, "expected"),
        ('latest("8480") >= 140', 8, "a LOINC code"),
        ("agee >= 65", 1, "unknown field agee (did you mean age?)"),
        ('trend("8480-6") == "rising"', 20, '"worsening", "improving" or "stable"'),
    ],
)
def test_a_preview_of_a_wrong_rule_is_its_error_with_the_position(text, column, message):
    found = preview(text, organization_id=1)
    assert isinstance(found, RuleError)
    assert message in str(found) and found.span is not None and found.span.column == column
