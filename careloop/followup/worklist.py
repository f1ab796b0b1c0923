"""A staff member's follow-up worklist (我的随访任务): the open tasks that are theirs, most pressing first.

Theirs: assigned to them by name, or to their role's queue and to no one by name. Shown: overdue, due
today, and due within `UPCOMING_DAYS`. Order: patients with an unresolved alert first, then the most
days overdue (earliest due), then by task. (Risk category comes between the two once risk scores exist.)
Patients who left care (died, moved away, merged into another record) never appear.

Each of the two queues is read in due order from its own partial index (task_open_by_user,
task_open_by_role) and the two are merged here: a page reads about fifty rows, and the counters count
index entries without visiting the tasks, whatever the size of the queue. That relies on an invariant
kept by every way a plan ends (actions.do_end_enrolment, contacts.py, stopping.py): an ended
enrolment has no pending task. Tasks of patients who left care are subtracted, read from their side
(patient_left_care), where there are few.
"""

import datetime
import heapq
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet

from careloop.accounts.models import User
from careloop.alerts.models import UNRESOLVED, Alert
from careloop.facts.sources import local_midnight
from careloop.followup.models import Protocol, Task
from careloop.followup.outcomes import REACHED
from careloop.patients.models import Patient

UPCOMING_DAYS = 7
PAGE_SIZE = 50
# Patients with an open alert lead the list; more than this many on one list is a crisis the alert inbox
# serves better, so the list shows these and then goes on by date.
ALERTED_SHOWN = 100
OPEN_ENROLMENT = ("active", "lost")


@dataclass(frozen=True)
class Filters:
    protocol: str = ""  # protocol key
    department: int | None = None  # the patient's department
    tag: int | None = None
    channel: str = ""

    def __bool__(self) -> bool:
        return bool(self.protocol or self.department is not None or self.tag is not None or self.channel)


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


@dataclass(frozen=True)
class Worklist:
    user: User
    today: datetime.date
    filters: Filters = field(default_factory=Filters)

    @property
    def horizon(self) -> datetime.date:
        return self.today + datetime.timedelta(days=UPCOMING_DAYS)

    def _open(self) -> QuerySet[Task]:
        return Task.objects.filter(
            organization_id=organization_of(self.user), status="pending", due__lte=self.horizon
        )

    def _queues(self) -> list[QuerySet[Task]]:
        """The user's named tasks and their role's queue: each reads one partial index."""
        return [
            self._open().filter(assignee_user=self.user),
            self._open().filter(assignee_user__isnull=True, assignee_role=self.user.role),
        ]

    def _shown(self, tasks: QuerySet[Task]) -> QuerySet[Task]:
        """`tasks` less those of patients who left care, narrowed by the filters."""
        tasks = tasks.filter(
            enrolment__status__in=OPEN_ENROLMENT,
            enrolment__patient__merged_into__isnull=True,
            enrolment__patient__deceased_on__isnull=True,
            enrolment__patient__moved_away_on__isnull=True,
        )
        chosen = self.filters
        if chosen.protocol:
            tasks = tasks.filter(enrolment__protocol__key=chosen.protocol)
        if chosen.department is not None:
            tasks = tasks.filter(enrolment__patient__department_id=chosen.department)
        if chosen.tag is not None:
            tasks = tasks.filter(enrolment__patient__patient_tags__tag_id=chosen.tag)
        if chosen.channel:
            tasks = tasks.filter(channel=chosen.channel)
        return tasks

    def tasks(self) -> QuerySet[Task]:
        """Every task on the list, in one queryset (for tests and small uses; pages use `page`)."""
        return self._shown(self._open().filter(assigned_to(self.user)))

    def page(self, number: int, *, due_by: datetime.date | None = None) -> tuple[list[Row], bool]:
        """One page in worklist order; True when a next page exists. `due_by` cuts off later tasks.

        The order is decided on (due, id) pairs alone, read from the indexes; only the page's own tasks
        are then read whole, with their patient and protocol."""
        queues = [self._shown(queue) for queue in self._queues()]
        if due_by is not None:
            queues = [queue.filter(due__lte=due_by) for queue in queues]
        alerted_patients = Alert.objects.filter(
            organization_id=organization_of(self.user), status__in=UNRESOLVED, patient__isnull=False
        ).values("patient_id")
        # Read from the alerts' side (they are few), over both queues at once.
        alerted = list(
            self._shown(self._open().filter(assigned_to(self.user)))
            .filter(enrolment__patient_id__in=alerted_patients, **({"due__lte": due_by} if due_by else {}))
            .order_by("due", "pk")
            .values_list("due", "pk")[:ALERTED_SHOWN]
        )
        start = (number - 1) * PAGE_SIZE
        lead = alerted[start : start + PAGE_SIZE]
        rest_start = max(0, start - len(alerted))
        wanted = PAGE_SIZE - len(lead)
        skipped = [pk for _due, pk in alerted]
        ordered = (
            queue.exclude(pk__in=skipped)
            .order_by("due", "pk")
            .values_list("due", "pk")[: rest_start + wanted + 1]
            for queue in queues
        )
        rest = list(heapq.merge(*ordered))[rest_start : rest_start + wanted + 1]
        tasks = self._read_whole([pk for _due, pk in lead + rest[:wanted]])
        alerted_ids = {pk for _due, pk in lead}
        rows = [
            Row(tasks[pk], pk in alerted_ids, self._overdue(tasks[pk])) for _due, pk in lead + rest[:wanted]
        ]
        return rows, len(rest) > wanted

    @staticmethod
    def _read_whole(ids: list[int]) -> dict[int, Task]:
        """The tasks with what a row shows; one Protocol object per protocol, so its parsed definition
        is read once a page, not once a row. The patient's encrypted identifiers are not read."""
        tasks = {
            task.pk: task
            for task in Task.objects.filter(pk__in=ids)
            .select_related("enrolment__patient", "assignee_user")
            .defer(
                "enrolment__trigger",
                "enrolment__patient__id_number",
                "enrolment__patient__mobile",
                "enrolment__patient__hand_edited",
            )
        }
        wanted = {task.enrolment.protocol_id for task in tasks.values()}
        protocols = {protocol.pk: protocol for protocol in Protocol.objects.filter(pk__in=wanted)}
        for task in tasks.values():
            task.enrolment.protocol = protocols[task.enrolment.protocol_id]
        return tasks

    def _overdue(self, task: Task) -> int:
        return max(0, (self.today - task.due).days)

    def counts(self) -> Counts:
        figures = {"overdue": 0, "today": 0, "upcoming": 0}
        chosen = self.filters
        if chosen.protocol or chosen.department is not None or chosen.tag is not None:
            _add(figures, self.tasks(), self.today)  # these filters read the enrolment or patient anyway
        else:
            narrowed = {"channel": chosen.channel} if chosen.channel else {}
            for queue in self._queues():
                _add(figures, queue.filter(**narrowed), self.today)
            left_care = Patient.objects.filter(
                Q(deceased_on__isnull=False) | Q(moved_away_on__isnull=False) | Q(merged_into__isnull=False),
                organization_id=organization_of(self.user),
            )
            _add(
                figures,
                self._open().filter(assigned_to(self.user), enrolment__patient__in=left_care, **narrowed),
                self.today,
                sign=-1,
            )
        return Counts(figures["overdue"], figures["today"], figures["upcoming"], self._done_today())

    def _done_today(self) -> int:
        start = local_midnight(self.today)
        done = Task.objects.filter(
            organization_id=organization_of(self.user),
            contacts__recorded_by=self.user,
            contacts__occurred_at__gte=start,
            contacts__outcome__in=REACHED,
        )
        return done.values("pk").distinct().count()

    def next_task(self, after: Task | None = None) -> Task | None:
        """The task to open next: the top of today's list, not counting `after` (the one just recorded)."""
        rows, _more = self.page(1, due_by=self.today)
        return next((row.task for row in rows if after is None or row.task.pk != after.pk), None)


def _add(figures: dict[str, int], tasks: QuerySet[Task], today: datetime.date, sign: int = 1) -> None:
    """Add the tasks' counts by due date to `figures`. Counting `due` (not the key) lets the database
    answer from the partial index alone."""
    found = tasks.aggregate(
        overdue=Count("due", filter=Q(due__lt=today)),
        today=Count("due", filter=Q(due=today)),
        upcoming=Count("due", filter=Q(due__gt=today)),
    )
    for name in figures:
        figures[name] += sign * found[name]
