"""Refreshing the stored facts: set-based, idempotent, stale rows gone, after every import, by command."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careloop.facts.models import DerivedMeasure, LatestIndicator
from careloop.facts.refresh import refresh_facts
from careloop.observations.models import Observation
from tests.factories import make_organization, make_patient
from tests.facts.population import SBP, Seeder, seed
from tests.observations.test_do_import import results_csv

TODAY = datetime.date(2026, 12, 7)


def stored(model):
    return sorted(model.objects.values_list(*[f.attname for f in model._meta.concrete_fields]))


@pytest.mark.django_db
def test_a_second_refresh_writes_nothing(org):
    seed(org, TODAY, randoms=20)
    first = stored(LatestIndicator), stored(DerivedMeasure)
    assert first[0] and first[1]
    again = refresh_facts(org.pk)
    assert (again.patients, again.indicators, again.measures) == (25, 0, 0)
    assert (stored(LatestIndicator), stored(DerivedMeasure)) == first  # ids and change times too


@pytest.mark.django_db
def test_only_the_facts_that_changed_are_written_again(org):
    patients = seed(org, TODAY, randoms=5)
    before = dict(LatestIndicator.objects.values_list("pk", "changed_at"))
    Observation.objects.filter(patient=patients[1], code=SBP).update(value=171)
    again = refresh_facts(org.pk)
    assert (again.indicators, again.measures) == (1, 0)
    changed = LatestIndicator.objects.get(patient=patients[1], code=SBP)
    assert changed.value == 171 and changed.pk not in before
    now = dict(LatestIndicator.objects.values_list("pk", "changed_at"))
    assert len(set(before) - set(now)) == 1  # the rest kept their rows and change times
    assert all(now[pk] == at for pk, at in before.items() if pk in now)


@pytest.mark.django_db
def test_a_result_entered_in_error_leaves_the_facts_with_the_next_refresh(org):
    s = Seeder(org, TODAY)
    patient = s.patient(datetime.date(1950, 1, 1))
    s.result(patient, SBP, 150, s.at(3))
    s.result(patient, "29463-7", 70, s.at(3))
    s.result(patient, "8302-2", 175, s.at(3))
    Observation.objects.bulk_create(s.observations)
    refresh_facts(org.pk)
    assert LatestIndicator.objects.get(code=SBP).value == 150
    Observation.objects.filter(code__in=[SBP, "8302-2"]).update(status="entered-in-error")
    refresh_facts(org.pk, [patient.pk])
    assert set(LatestIndicator.objects.values_list("code", flat=True)) == {"29463-7"}
    assert not DerivedMeasure.objects.exists()  # no height left to compute BMI with


@pytest.mark.django_db
def test_a_refresh_of_some_patients_leaves_the_others_and_other_organizations_alone(org):
    other = make_organization("另一家医院")
    mine, theirs = seed(org, TODAY, randoms=3), seed(other, TODAY, randoms=3)
    Observation.objects.update(value=1)
    refresh_facts(org.pk, [mine[1].pk])
    assert set(LatestIndicator.objects.filter(value=1).values_list("patient_id", flat=True)) == {mine[1].pk}
    assert LatestIndicator.objects.filter(patient__in=theirs).exclude(value=1).exists()


@pytest.mark.django_db
def test_the_refresh_costs_the_same_queries_for_ten_or_a_hundred_patients(org):
    def queries(count: int) -> int:
        s = Seeder(org, TODAY)
        for n in range(count):
            patient = s.patient(datetime.date(1950, 1, 1))
            s.series(patient, SBP, [120 + n % 40, 130, 140])
        Observation.objects.bulk_create(s.observations)
        with CaptureQueriesContext(connection) as captured:
            refresh_facts(org.pk, Observation.objects.values_list("patient_id", flat=True).distinct())
        Observation.objects.all().delete()
        return len(captured)

    assert queries(10) == queries(100)


@pytest.mark.django_db
def test_an_import_asks_the_worker_to_refresh_the_facts_of_its_patients(
    org, doctor, tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    patient = make_patient(doctor, name="王芳")
    path = tmp_path / "checks.csv"
    path.write_bytes(results_csv(patient.id_number, "王芳"))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import", str(path), organization=org.code, no_progress=True, stdout=io.StringIO())
    latest = dict(LatestIndicator.objects.filter(patient=patient).values_list("code", "value"))
    assert latest == {"1558-6": 5.6, "8480-6": 132, "3084-1": 401}


@pytest.mark.django_db
def test_the_command_refreshes_an_organization_and_says_how_much(org):
    seed(org, TODAY, randoms=5)
    LatestIndicator.objects.all().delete()
    out, err = io.StringIO(), io.StringIO()
    call_command("facts", "refresh", organization=org.code, stdout=out, stderr=err)
    count = LatestIndicator.objects.count()
    # "10 patients: {count} latest results", in the installation's language
    assert count and out.getvalue().startswith(f"10 位患者：{count} 条最新结果")  # noqa: RUF001
    assert "patients" in err.getvalue()  # the progress bar


@pytest.mark.django_db
def test_an_import_does_not_wait_for_the_refresh_it_asks_for(
    org, doctor, tmp_path, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    patient = make_patient(doctor, name="王芳")
    path = tmp_path / "checks.csv"
    path.write_bytes(results_csv(patient.id_number, "王芳"))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import", str(path), organization=org.code, no_progress=True, stdout=io.StringIO())
    assert not LatestIndicator.objects.filter(patient=patient).exists()
    assert (
        DBTaskResult.objects.filter(task_path="careloop.facts.tasks.refresh_facts_after_import").count() == 1
    )
