"""The demo clinic's follow-up: the shipped protocols installed, post-discharge switched on (it ships off,
its intervals being single hospitals' practice), two discharged patients enrolled in it and a few of the
seeded hypertensive patients in hypertension management, backdated so that the nurse's and the doctor's
lists have tasks due today and overdue; then the day's sweep, which also applies the shipped tag rules."""

import datetime

from django.utils import timezone

from careloop.accounts.models import Organization, User
from careloop.autotags.actions import do_install_default_tag_rules
from careloop.facts.refresh import refresh_facts
from careloop.followup.actions import do_enrol, do_install_shipped, do_set_protocol_status
from careloop.followup.models import Task
from careloop.followup.schedule import Interval
from careloop.followup.sweep import run_sweep
from careloop.patients.models import Patient

# Days since discharge: the day-3 call falls due today; the day-3 and day-7 calls are overdue.
DISCHARGED_DAYS_AGO = (3, 16)
# Days past the first quarterly visit: due today, overdue by 10 days, then three not yet due.
HYPERTENSION_DAYS_PAST = (0, 10, -5, -12, -20)


def enrol_demo_patients(organization: Organization) -> tuple[int, int, int]:
    """Enrolments made, tasks due today, tasks overdue."""
    today = timezone.localdate()
    protocols = {p.key: p for p in do_install_shipped(organization)}
    # The shipped auto-tags, over facts refreshed now (the import's refresh waits for the worker): the
    # sweep below applies them, so the demo's patients carry 高血压, 老年人... with what matched.
    do_install_default_tag_rules(organization)
    refresh_facts(organization.pk)
    admin = User.objects.get(organization=organization, username="admin")
    nurse = User.objects.get(organization=organization, username="nurse")
    do_set_protocol_status(admin, protocols["post-discharge"], "active")
    patients = Patient.objects.filter(organization=organization, merged_into__isnull=True).order_by("pk")
    hypertensive = list(patients.filter(conditions__icd10_code__startswith="I10").distinct()[:5])
    others = list(patients.exclude(pk__in=[p.pk for p in hypertensive])[:2])
    enrolled = 0
    for patient, days in zip(others, DISCHARGED_DAYS_AGO, strict=False):
        discharged = today - datetime.timedelta(days=days)
        # Enrolled on the discharge day, as the discharge feed would have done it.
        do_enrol(
            nurse, patient, protocols["post-discharge"], discharged, {"kind": "discharge"}, today=discharged
        )
        enrolled += 1
    for patient, days in zip(hypertensive, HYPERTENSION_DAYS_PAST, strict=False):
        first_visit = today - datetime.timedelta(days=days)
        anchor = _quarter_before(first_visit)
        do_enrol(nurse, patient, protocols["hypertension"], anchor, today=anchor)
        enrolled += 1
    run_sweep(today, organization.pk)
    open_tasks = Task.objects.filter(organization=organization, status="pending")
    return enrolled, open_tasks.filter(due=today).count(), open_tasks.filter(closes__lt=today).count()


def _quarter_before(day: datetime.date) -> datetime.date:
    """The first anchor whose quarterly visit falls on `day` (or just after it, past a short month's end)."""
    quarter = Interval.parse("3m")
    anchor = day - datetime.timedelta(days=95)
    while quarter.after(anchor) < day:
        anchor += datetime.timedelta(days=1)
    return anchor
