"""The tag rule pages: list, editor with the error's position, "try it", the switch; scoped and audited."""

import html
import re

import pytest
from django.urls import reverse

from careloop.accounts.models import AuditEntry
from careloop.autotags.models import TagRule
from careloop.patients.models import PatientTag, Tag
from tests.autotags.helpers import SBP, person, tag_rule
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_doctor(client, doctor):
    client.login(username=doctor.username, password=PASSWORD)
    return client


def page(response) -> str:
    assert response.status_code == 200
    text: str = response.content.decode()
    return text


def pointer_lines(text: str) -> list[str]:
    found = re.search(r'<pre class="rule-pointer"><code>(.*?)</code></pre>', text, re.S)
    assert found
    return html.unescape(re.sub(r"</?mark>", "", found.group(1))).split("\n")


def test_the_list_shows_each_rule_with_its_patients_tagged_in_a_fixed_number_of_queries(
    as_doctor, org, django_assert_max_num_queries
):
    rule = tag_rule(org)
    tag_rule(org, key="older", text="age >= 65", tag="老年人", enabled=False)
    PatientTag.objects.create(patient=person(org), tag=rule.tag, source="rule", rule=rule.key)
    PatientTag.objects.create(patient=person(org), tag=rule.tag, source="manual")  # not the rule's
    with django_assert_max_num_queries(12):
        doc = page(as_doctor.get(reverse("staff:tag_rules")))
    assert f'id="tag-rule-{rule.pk}" data-enabled="1"' in doc
    assert re.search(rf'id="tag-rule-{rule.pk}".*?<td class="tagged-count">1</td>', doc, re.S)


def test_a_nurse_may_not_manage_rules(client, nurse):
    client.login(username=nurse.username, password=PASSWORD)
    assert client.get(reverse("staff:tag_rules")).status_code == 403


def test_another_organizations_rule_does_not_exist(as_doctor, other_org):
    theirs = tag_rule(other_org)
    assert as_doctor.get(reverse("staff:tag_rule", args=[theirs.pk])).status_code == 404
    response = as_doctor.post(reverse("staff:tag_rule_enabled", args=[theirs.pk]), {"enabled": "0"})
    assert response.status_code == 404


def test_a_wrong_rule_is_shown_with_a_caret_at_its_position_and_not_saved(as_doctor, org):
    tag = Tag.objects.create(organization=org, name="血压高")
    text = 'age >= 65 and lates("8480-6") >= 140'
    response = as_doctor.post(reverse("staff:tag_rule_new"), {"tag": tag.pk, "key": "bp", "text": text})
    doc = page(response)
    assert 'id="rule-problem" data-line="1" data-column="15"' in doc
    written, under = pointer_lines(doc)
    assert written == text and under == " " * 14 + "^" * len('lates("8480-6")')
    assert not TagRule.objects.exists()


def test_a_new_rule_is_saved_off_and_audited(as_doctor, org, doctor):
    tag = Tag.objects.create(organization=org, name="血压高")
    response = as_doctor.post(
        reverse("staff:tag_rule_new"), {"tag": tag.pk, "key": "bp", "text": f'latest("{SBP}") >= 140'}
    )
    rule = TagRule.objects.get()
    assert response.url == reverse("staff:tag_rule", args=[rule.pk])
    assert (rule.enabled, rule.created_by) == (False, doctor)
    assert AuditEntry.objects.filter(action="tag_rule.created", object_id=str(rule.pk)).exists()


def test_another_organizations_tag_cannot_be_chosen(as_doctor, other_org):
    theirs = Tag.objects.create(organization=other_org, name="血压高")
    as_doctor.post(reverse("staff:tag_rule_new"), {"tag": theirs.pk, "key": "bp", "text": "age >= 65"})
    assert not TagRule.objects.exists()


def test_try_it_counts_the_matches_and_shows_ten_with_their_facts(
    as_doctor, org, django_assert_max_num_queries
):
    patients = [person(org, name=f"患者{i:02d}", sbp=150 + i) for i in range(12)]
    person(org, sbp=120)
    with django_assert_max_num_queries(20):
        response = as_doctor.post(reverse("staff:tag_rule_try"), {"text": f'latest("{SBP}") >= 140'})
    doc = page(response)
    assert 'id="try-count" data-count="12"' in doc
    rows = re.findall(r'<tr data-patient="(\d+)">\s*<td><a href="([^"]+)">.*?</tr>', doc, re.S)
    assert len(rows) == 10
    shown, href = int(rows[0][0]), rows[0][1]
    assert shown in {p.pk for p in patients} and href == reverse("patients:detail", args=[shown])
    assert html.escape(f'latest("{SBP}") = 15') in doc
    assert AuditEntry.objects.filter(action="patient.list", detail__search="tag_rule_try").exists()
    assert not PatientTag.objects.exists()  # trying tags no one


def test_try_it_points_at_the_error(as_doctor):
    doc = page(as_doctor.post(reverse("staff:tag_rule_try"), {"text": "agee > 3"}))
    assert 'id="rule-problem" data-line="1" data-column="1"' in doc


def test_switching_on_tags_the_patients_at_once_and_off_takes_the_tags_off(as_doctor, org, nurse):
    rule = tag_rule(org, enabled=False)
    matching, by_hand = person(org, sbp=150), person(org, sbp=150)
    PatientTag.objects.create(patient=by_hand, tag=rule.tag, source="manual", added_by=nurse)
    as_doctor.post(reverse("staff:tag_rule_enabled", args=[rule.pk]), {"enabled": "1"})
    rule.refresh_from_db()
    assert rule.enabled and rule.last_applied_at is not None
    assert dict(PatientTag.objects.values_list("patient_id", "source")) == {
        matching.pk: "rule",
        by_hand.pk: "manual",
    }
    as_doctor.post(reverse("staff:tag_rule_enabled", args=[rule.pk]), {"enabled": "0"})
    assert dict(PatientTag.objects.values_list("patient_id", "source")) == {by_hand.pk: "manual"}
    actions = AuditEntry.objects.filter(action__startswith="tag_rule.").order_by("pk")
    assert list(actions.values_list("action", flat=True)) == [
        "tag_rule.apply",
        "tag_rule.enabled",
        "tag_rule.disabled",
    ]


def test_editing_a_rule_that_is_on_applies_the_new_text(as_doctor, org):
    rule = tag_rule(org)
    high, higher = person(org, sbp=150), person(org, sbp=170)
    as_doctor.post(reverse("staff:tag_rule_enabled", args=[rule.pk]), {"enabled": "0"})
    as_doctor.post(reverse("staff:tag_rule_enabled", args=[rule.pk]), {"enabled": "1"})
    data = {"tag": rule.tag_id, "key": rule.key, "text": f'latest("{SBP}") >= 160', "source_note": "local"}
    response = as_doctor.post(reverse("staff:tag_rule", args=[rule.pk]), data)
    assert response.status_code == 302
    assert list(PatientTag.objects.values_list("patient_id", flat=True)) == [higher.pk]
    entry = AuditEntry.objects.get(action="tag_rule.updated")
    assert set(entry.detail["changes"]) == {"text", "source_note"}
    assert not PatientTag.objects.filter(patient=high).exists()


def test_the_patient_page_says_which_rule_tagged_the_patient(as_doctor, org):
    rule = tag_rule(org)
    patient = person(org, sbp=150)
    as_doctor.post(reverse("staff:tag_rule_enabled", args=[rule.pk]), {"enabled": "0"})
    as_doctor.post(reverse("staff:tag_rule_enabled", args=[rule.pk]), {"enabled": "1"})
    doc = page(as_doctor.get(reverse("patients:detail", args=[patient.pk])))
    title = re.search(r'title="([^"]*)" data-source="rule"', doc)
    assert title
    assert "raised-bp" in title.group(1)
    assert f'latest("{SBP}") = 150' in html.unescape(title.group(1))
