"""Tag rules run where facts change: after an import's facts refresh, in the daily sweep, by command; and
the shipped rules install with the shipped protocols."""

import io

import pytest
from django.core.management import call_command

from careloop.accounts.models import AuditEntry
from careloop.autotags.actions import do_install_default_tag_rules
from careloop.autotags.models import TagRule
from careloop.followup.sweep import run_sweep
from careloop.patients.models import PatientTag, Tag
from careloop.rules.default_tags import DEFAULT_TAGS, NOT_SHIPPED
from tests.autotags.helpers import TODAY, person, tag_rule
from tests.factories import make_patient
from tests.observations.test_do_import import results_csv

pytestmark = pytest.mark.django_db


def test_an_import_tags_the_patients_whose_new_results_match(
    org, doctor, tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    rule = tag_rule(org, 'latest("1558-6") >= 5.5')  # the file's glucose is 5.6
    patient = make_patient(doctor, name="王芳")
    untouched = person(org)
    path = tmp_path / "checks.csv"
    path.write_bytes(results_csv(patient.id_number, "王芳"))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import", str(path), organization=org.code, no_progress=True, stdout=io.StringIO())
    tag = PatientTag.objects.get(tag=rule.tag)
    assert (tag.patient_id, tag.source, tag.matched) == (patient.pk, "rule", {'latest("1558-6")': 5.6})
    entry = AuditEntry.objects.get(action="tag_rule.apply")
    assert entry.detail["patients"] == 1 and untouched.pk != tag.patient_id


def test_the_daily_sweep_applies_the_rules_before_making_tasks(org):
    rule = tag_rule(org)
    patient = person(org, sbp=150)
    run_sweep(TODAY, org.pk)
    assert PatientTag.objects.get(tag=rule.tag).patient_id == patient.pk


def test_the_command_applies_every_organization_and_reports_each_rule(org, other_org):
    tag_rule(org)
    tag_rule(other_org, key="other-rule")
    person(org, sbp=150)
    out = io.StringIO()
    call_command("tags", "apply", stdout=out)
    text = out.getvalue()
    assert org.code in text and other_org.code in text and "raised-bp" in text and "other-rule" in text
    assert PatientTag.objects.count() == 1


def test_the_command_refuses_an_unknown_organization():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("tags", "apply", organization="nowhere", stdout=io.StringIO())


def test_the_shipped_rules_install_once_with_their_tags_and_sources(org):
    rules = do_install_default_tag_rules(org)
    assert {rule.tag.name for rule in rules} == set(DEFAULT_TAGS)
    assert not Tag.objects.filter(organization=org, name__in=list(NOT_SHIPPED)).exists()
    assert all(rule.enabled and rule.source_note for rule in rules)  # every shipped source: high or medium
    TagRule.objects.filter(key="older-adult").update(text="age >= 70", enabled=False)
    again = do_install_default_tag_rules(org)
    assert [rule.pk for rule in again] == [rule.pk for rule in rules]
    assert TagRule.objects.get(key="older-adult").text == "age >= 70"  # the organization's edit stays
    assert AuditEntry.objects.filter(action="tag_rule.installed").count() == 1


def test_installing_the_protocols_installs_the_shipped_tag_rules(org):
    call_command("protocols", "install", organization=org.code, stdout=io.StringIO())
    assert TagRule.objects.filter(organization=org).count() == len(DEFAULT_TAGS)


def test_tags_install_installs_and_applies(org):
    old = person(org, born=TODAY.replace(year=TODAY.year - 80))
    call_command("tags", "install", organization=org.code, stdout=io.StringIO())
    assert PatientTag.objects.get(tag__name="老年人").patient_id == old.pk
