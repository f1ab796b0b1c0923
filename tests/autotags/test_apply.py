"""Applying tag rules: the matching patients get the tag with the facts that matched, the others lose the
rule's own tag, staff's and imports' tags are never touched, and a second run changes nothing."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careloop.accounts.models import AuditEntry
from careloop.autotags.apply import Applied, apply_tag_rules
from careloop.autotags.models import TagRule
from careloop.patients.models import PatientTag
from tests.autotags.helpers import SBP, person, reading, tag_rule

pytestmark = pytest.mark.django_db


def tags_of(rule):
    return dict(PatientTag.objects.filter(tag=rule.tag).values_list("patient_id", "source"))


@pytest.mark.parametrize(
    ("text", "readings", "tagged"),
    [
        (f'latest("{SBP}") >= 140', [150, 139, None], [True, False, False]),
        (f'latest("{SBP}") < 140', [150, 139, None], [False, True, False]),  # no reading: no match
        (f'not latest("{SBP}") >= 140', [150, 139, None], [False, True, True]),  # not: true when missing
        ("age >= 65", [150, 139, None], [True, True, True]),
        (f'age >= 65 and latest("{SBP}") >= 145', [150, 139, None], [True, False, False]),
    ],
)
def test_the_rule_tags_exactly_the_patients_it_matches(org, text, readings, tagged):
    patients = [person(org, sbp=value) for value in readings]
    rule = tag_rule(org, text)
    done = apply_tag_rules(org.pk)
    found = tags_of(rule)
    assert [patient.pk in found for patient in patients] == tagged
    assert done == {rule.key: Applied(added=sum(tagged), removed=0)}
    assert set(found.values()) <= {"rule"}


def test_the_tag_records_the_rule_and_the_facts_that_matched(org):
    patient = person(org, born=datetime.date(1950, 3, 1), sbp=152)
    rule = tag_rule(org, f'age >= 65 and latest("{SBP}") >= 140 or has_condition("I10")')
    apply_tag_rules(org.pk, today=datetime.date(2026, 12, 7))
    tag = PatientTag.objects.get(patient=patient, tag=rule.tag)
    assert (tag.source, tag.rule) == ("rule", rule.key)
    assert tag.matched == {"age": 76, f'latest("{SBP}")': 152.0}  # has_condition false: left out
    assert "raised-bp" in tag.provenance and f'latest("{SBP}") = 152' in tag.provenance


def test_a_patient_who_no_longer_matches_loses_the_rules_tag_only(org, nurse):
    rule = tag_rule(org)
    leaving, staying = person(org, sbp=150), person(org, sbp=160)
    by_hand = person(org, sbp=120)
    imported = person(org, sbp=120)
    PatientTag.objects.create(patient=by_hand, tag=rule.tag, source="manual", added_by=nurse)
    PatientTag.objects.create(patient=imported, tag=rule.tag, source="import")
    apply_tag_rules(org.pk)
    reading(leaving, 130)
    done = apply_tag_rules(org.pk)
    assert done[rule.key] == Applied(added=0, removed=1)
    assert tags_of(rule) == {staying.pk: "rule", by_hand.pk: "manual", imported.pk: "import"}


def test_a_manual_tag_is_kept_even_where_the_rule_matches_and_no_rule_tag_is_added(org, nurse):
    rule = tag_rule(org)
    patient = person(org, sbp=170)
    PatientTag.objects.create(patient=patient, tag=rule.tag, source="manual", added_by=nurse)
    assert apply_tag_rules(org.pk)[rule.key] == Applied()
    assert tags_of(rule) == {patient.pk: "manual"}


def test_a_second_apply_adds_nothing_and_writes_no_audit_entry(org):
    rule = tag_rule(org)
    for value in (150, 160, 120):
        person(org, sbp=value)
    assert apply_tag_rules(org.pk)[rule.key] == Applied(added=2)
    entries = AuditEntry.objects.filter(action="tag_rule.apply")
    assert entries.count() == 1 and entries.get().detail["rules"] == {rule.key: {"added": 2, "removed": 0}}
    assert apply_tag_rules(org.pk)[rule.key] == Applied()
    assert entries.count() == 1


def test_the_query_count_does_not_grow_with_the_patients(org):
    rule = tag_rule(org)
    person(org, sbp=150)
    with CaptureQueriesContext(connection) as few:
        apply_tag_rules(org.pk)
    PatientTag.objects.all().delete()
    for _ in range(30):
        person(org, sbp=150)
    with CaptureQueriesContext(connection) as many:
        apply_tag_rules(org.pk)
    assert len(many) == len(few)
    assert PatientTag.objects.filter(tag=rule.tag).count() == 31


def test_only_the_given_patients_are_looked_at(org):
    rule = tag_rule(org)
    one, other = person(org, sbp=150), person(org, sbp=150)
    apply_tag_rules(org.pk, [one.pk])
    assert tags_of(rule) == {one.pk: "rule"}
    reading(one, 120)
    apply_tag_rules(org.pk, [other.pk])
    assert tags_of(rule) == {one.pk: "rule", other.pk: "rule"}  # `one` was not looked at


def test_deceased_and_merged_away_patients_are_not_tagged_and_lose_rule_tags(org):
    rule = tag_rule(org)
    living = person(org, sbp=150)
    dying = person(org, sbp=150)
    apply_tag_rules(org.pk)
    dying.deceased_on = datetime.date(2026, 12, 1)
    dying.save(update_fields=["deceased_on"])
    person(org, sbp=150, merged_into=living)
    done = apply_tag_rules(org.pk)
    assert done[rule.key] == Applied(added=0, removed=1)
    assert tags_of(rule) == {living.pk: "rule"}


def test_disabled_rules_and_other_organizations_are_left_alone(org, other_org):
    tag_rule(org, enabled=False)
    theirs = tag_rule(other_org)
    person(org, sbp=150)
    person(other_org, sbp=150)
    assert apply_tag_rules(org.pk) == {}
    assert apply_tag_rules(other_org.pk) == {theirs.key: Applied(added=1)}
    assert PatientTag.objects.get().patient.organization_id == other_org.pk


def test_a_wrong_rule_is_refused_on_save_with_its_position(org):
    with pytest.raises(ValidationError) as refused:
        tag_rule(org, text='age >= 65 and lates("8480-6") >= 140')
    assert "15" in str(refused.value.message_dict["text"])  # column 15
    assert not TagRule.objects.exists()
