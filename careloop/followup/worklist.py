"""A staff member's follow-up worklist (我的随访任务): the open tasks that are theirs, most pressing first.

Theirs: assigned to them by name, or to their role's queue and to no one by name. Shown: overdue, due
today, and due within `UPCOMING_DAYS`. Order: patients with an unresolved alert first, then the most
days overdue (earliest due), then by task. (Risk category comes between the two once risk scores exist.)

Reads the two partial indexes of the task table (task_open_by_user, task_open_by_role): each page is a
fixed number of queries whatever the number of open tasks in the organization.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from careloop.accounts.models import User
from careloop.alerts.models import UNRESOLVED, Alert
from careloop.followup.models import Protocol, Task
from careloop.followup.outcomes import REACHED

UPCOMING_DAYS = 7
PAGE_SIZE = 50
# Patients with an open alert lead the list; more than this many on one list is a crisis the alert inbox
# serves better, so the list shows these and then goes on by date.
ALERTED_SHOWN = 100


@dataclass(frozen=True)
class Filters:
    protocol: str = ""  # protocol key
    department: int | None = None  # the patient's department
    tag: int | None = None
    channel: str = ""


@dataclass(frozen=True)
class Counts:
    overdue: int
    today: int
    upcoming: int
    done_today: int


@dataclass(frozen=True)
class Row:
    task: Task
    has_alert: bool
    overdue_days: int


def organization_of(user: User) -> int:
    if user.organization_id is None:
        raise PermissionDenied("no organization")
    return user.organization_id


def assigned_to(user: User) -> Q:
    return Q(assignee_user=user) | Q(assignee_user__isnull=True, assignee_role=user.role)


def open_tasks(user: User, today: datetime.date, filters: Filters = Filters()) -> QuerySet[Task]:
    """The user's open tasks due by the end of the upcoming days, of patients still followed."""
    tasks = Task.objects.filter(
        assigned_to(user),
        organization_id=organization_of(user),
        status="pending",
        due__lte=today + datetime.timedelta(days=UPCOMING_DAYS),
        enrolment__status__in=("active", "lost"),
        enrolment__patient__merged_into__isnull=True,
        enrolment__patient__deceased_on__isnull=True,
        enrolment__patient__moved_away_on__isnull=True,
    )
    if filters.protocol:
        tasks = tasks.filter(enrolment__protocol__key=filters.protocol)
    if filters.department is not None:
        tasks = tasks.filter(enrolment__patient__department_id=filters.department)
    if filters.tag is not None:
        tasks = tasks.filter(enrolment__patient__patient_tags__tag_id=filters.tag)
    if filters.channel:
        tasks = tasks.filter(channel=filters.channel)
    return tasks


def _alerted(user: User) -> QuerySet[Alert]:
    return Alert.objects.filter(
        organization_id=organization_of(user),
        status__in=UNRESOLVED,
        patient_id=OuterRef("enrolment__patient_id"),
    )


def page_of_tasks(
    tasks: QuerySet[Task], user: User, page: int, today: datetime.date
) -> tuple[list[Row], bool]:
    """One page in worklist order; True when a next page exists.

    Two queries: the (few) tasks of alerted patients, then the rest by date. Sorting everything by an
    EXISTS would read every open task of the queue to show fifty."""
    related = tasks.select_related("enrolment__patient", "enrolment__protocol", "assignee_user")
    alerted = list(related.filter(Exists(_alerted(user))).order_by("due", "pk")[:ALERTED_SHOWN])
    start = (page - 1) * PAGE_SIZE
    lead = alerted[start : start + PAGE_SIZE]
    rest_start = max(0, start - len(alerted))
    wanted = PAGE_SIZE - len(lead)
    rest = list(
        related.exclude(pk__in=[task.pk for task in alerted]).order_by("due", "pk")[
            rest_start : rest_start + wanted + 1
        ]
    )
    more = len(rest) > wanted
    rows = [Row(task, True, max(0, (today - task.due).days)) for task in lead]
    rows += [Row(task, False, max(0, (today - task.due).days)) for task in rest[:wanted]]
    _share_protocols(rows)
    return rows, more


def _share_protocols(rows: list[Row]) -> None:
    """One Protocol object per version on the page: select_related makes one per row, and each would
    parse its definition again to label its step."""
    shared: dict[int, Protocol] = {}
    for row in rows:
        enrolment = row.task.enrolment
        enrolment.protocol = shared.setdefault(enrolment.protocol_id, enrolment.protocol)


def counts(tasks: QuerySet[Task], user: User, today: datetime.date) -> Counts:
    figures = tasks.aggregate(
        overdue=Count("pk", filter=Q(due__lt=today)),
        today=Count("pk", filter=Q(due=today)),
        upcoming=Count("pk", filter=Q(due__gt=today)),
    )
    start = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    done = Task.objects.filter(
        organization_id=organization_of(user),
        contacts__recorded_by=user,
        contacts__occurred_at__gte=start,
        contacts__outcome__in=REACHED,
    )
    return Counts(figures["overdue"], figures["today"], figures["upcoming"], done.distinct().count())


def next_task(user: User, today: datetime.date, after: Task | None = None) -> Task | None:
    """The task to open next: the top of the list, not counting `after` (the one just recorded)."""
    tasks = open_tasks(user, today).filter(due__lte=today)
    if after is not None:
        tasks = tasks.exclude(pk=after.pk)
    page, _more = page_of_tasks(tasks, user, 1, today)
    return page[0].task if page else None
