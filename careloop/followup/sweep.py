"""The daily sweep: apply stop rules (stopping.py), enrol the patients whose trigger fired (triggers.py),
make the tasks falling due within the horizon, mark superseded ones, climb the escalation ladder
(escalation.py).

Set-based. A task depends only on its protocol version and anchor, so the planned tasks are computed in
Python once per (protocol version, anchor) pair of the active enrolments, written to a temporary table,
and joined to every enrolment sharing the pair by INSERT … SELECT, per batch of pairs: the tasks missing
into a second temporary table, then from it into the task table. Each batch commits on its own; the
natural key (enrolment, step, number) makes a rerun skip what a killed run committed (NOT EXISTS, cheap
when nothing is missing; ON CONFLICT for a sweep running beside it), so a second run writes nothing and
a restarted run ends where one clean run would.

An overdue task stays pending (the worklist's "overdue": the Norm asks staff to contact a patient who
missed a follow-up, followup-norms §3); it becomes `missed` only once a later occurrence of the same step
has opened, which is then the task to do.
"""

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from careloop.accounts import audit
from careloop.accounts.models import Organization, User
from careloop.autotags.apply import apply_tag_rules
from careloop.followup.escalation import escalate
from careloop.followup.models import Enrolment, Protocol, SweepState, Task
from careloop.followup.planning import PlannedTask, planned
from careloop.followup.stopping import apply_stop_rules, end_finished_plans
from careloop.followup.triggers import enrol_triggered
from careloop.patients.models import Patient

# Each batch commits on its own and is followed by ANALYZE when it made many tasks (about 0.3 s): fewer,
# larger batches on a first run, while a killed run still loses at most one batch of work.
BATCH_ENROLMENTS = 250_000
# A batch that makes more tasks than this refreshes the task table's statistics; a daily run's few do not.
ANALYZE_AFTER_ROWS = 10_000
CANDIDATES = "followup_sweep_candidate"
MISSING = "followup_sweep_missing"
_TASK_COLUMNS = (
    "organization_id, enrolment_id, step, number, due, opens, closes, channel, content_kind, content_ref, "
    "assignee_role, assignee_user_id, status"
)
_COLUMNS = (
    "protocol_id, anchor, step, number, due, opens, closes, channel, content_kind, content_ref, "
    "assignee_kind, assignee_role, assignee_user_id"
)


@dataclass
class SweepResult:
    created: int = 0
    missed: int = 0
    ended: int = 0
    enrolled: int = 0
    escalated: int = 0
    batches: int = 0
    organizations: list[int] = field(default_factory=list)

    @property
    def written(self) -> int:
        return self.created + self.missed + self.ended + self.enrolled + self.escalated


Progress = Callable[[int, int, int], None]  # organization id, batch number, tasks made by the batch


def run_sweep(
    today: datetime.date | None = None,
    organization_id: int | None = None,
    *,
    batch_enrolments: int = BATCH_ENROLMENTS,
    progress: Progress | None = None,
    full: bool = False,
) -> SweepResult:
    """Sweep the organizations (or one) for `today`. `full` looks again at every task up to the horizon,
    not only those falling due since the last run: after enrolments were written by other means."""
    today = today or timezone.localdate()
    result = SweepResult()
    organizations = Organization.objects.order_by("pk")
    if organization_id is not None:
        organizations = organizations.filter(pk=organization_id)
    for org_id in organizations.values_list("pk", flat=True):
        # Auto-tags first: triggers and worklists made below read today's tags (its own audit entry).
        apply_tag_rules(org_id, today=today)
        # Stop rules next: a patient who died is neither enrolled nor given tasks by this run.
        ended_by = apply_stop_rules(org_id, today)
        ended = sum(ended_by.values())
        triggered = enrol_triggered(org_id, today)
        created, batches = _make_due_tasks(org_id, today, batch_enrolments, progress, full)
        missed = _mark_superseded(org_id, today, full)
        if finished := end_finished_plans(org_id, today):
            ended_by["plan_ended"] = finished
            ended += finished
        escalated = escalate(org_id, today)
        if ended or created or missed or triggered.enrolled or triggered.moved or escalated:
            # Only a sweep that changed something leaves an entry: a run that finds all done writes nothing.
            audit.record(
                "followup.sweep",
                organization_id=org_id,
                detail={
                    "today": today.isoformat(),
                    "created": created,
                    "missed": missed,
                    "ended": ended,
                    "ended_by": dict(sorted(ended_by.items())),
                    "enrolled": triggered.enrolled,
                    "anchors_moved": triggered.moved,
                    "escalated": escalated,
                },
            )
        result.created += created + triggered.tasks
        result.missed += missed
        result.ended += ended
        result.enrolled += triggered.enrolled
        result.escalated += escalated
        result.batches += batches
        result.organizations.append(org_id)
    return result


def _make_due_tasks(
    org_id: int, today: datetime.date, batch_enrolments: int, progress: Progress | None, full: bool
) -> tuple[int, int]:
    until = today + datetime.timedelta(days=settings.FOLLOWUP_HORIZON_DAYS)
    closing_from = today - datetime.timedelta(days=settings.FOLLOWUP_CATCH_UP_DAYS)
    state = None if full else SweepState.objects.filter(organization_id=org_id).first()
    # A day after the last run only the day's slice is new; a first (or --full) run looks at everything.
    after = state.planned_through if state is not None else None
    if after is not None and after >= until:
        return 0, 0
    pairs = list(
        Enrolment.objects.filter(organization_id=org_id, status="active")
        .values_list("protocol_id", "anchor")
        .annotate(enrolments=Count("pk"))
        .order_by("protocol_id", "anchor")
    )
    protocols = {p.pk: p.parsed for p in Protocol.objects.filter(pk__in={pair[0] for pair in pairs})}
    users = dict(User.objects.filter(organization_id=org_id, is_active=True).values_list("username", "pk"))
    created = batches = 0
    with connection.cursor() as cursor:
        for table, create in ((CANDIDATES, _CREATE_CANDIDATES), (MISSING, _CREATE_MISSING)):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(create)
        try:
            for batch in _batches(pairs, batch_enrolments):
                rows = [
                    _candidate(protocol_id, anchor, task, users)
                    for protocol_id, anchor in batch
                    for task in planned(
                        protocols[protocol_id], anchor, until=until, closing_from=closing_from
                    )
                    if after is None or task.due > after
                ]
                with transaction.atomic():
                    cursor.execute(f"DELETE FROM {CANDIDATES}")  # noqa: S608 -- a constant name
                    if not rows:
                        continue
                    cursor.executemany(_INSERT_CANDIDATE, rows)
                    # Without statistics the planner takes the candidates for a handful of rows and joins
                    # them to the enrolments row by row.
                    cursor.execute(f"ANALYZE {CANDIDATES}")
                    cursor.execute(f"DELETE FROM {MISSING}")  # noqa: S608 -- a constant name
                    cursor.execute(_SELECT_MISSING, [org_id])
                    if cursor.rowcount == 0:
                        continue
                    cursor.execute(_INSERT_TASKS)
                    made = max(cursor.rowcount, 0)
                    if made > ANALYZE_AFTER_ROWS:
                        # The next batch's anti-join (and the next run's) is planned from these statistics:
                        # a task table believed empty would be rescanned once per enrolment.
                        cursor.execute(f"ANALYZE {Task._meta.db_table}")
                created += made
                batches += 1
                if progress is not None:
                    progress(org_id, batches, made)
        finally:
            cursor.execute(f"DROP TABLE IF EXISTS {CANDIDATES}")
            cursor.execute(f"DROP TABLE IF EXISTS {MISSING}")
    # Moved on only once every batch has committed: a run killed before this point is redone whole.
    SweepState.objects.update_or_create(
        organization_id=org_id, defaults={"planned_through": until, "swept_at": timezone.now()}
    )
    return created, batches


def _batches(
    pairs: list[tuple[int, datetime.date, int]], size: int
) -> Iterator[list[tuple[int, datetime.date]]]:
    """The (protocol, anchor) pairs in runs covering about `size` enrolments each."""
    batch: list[tuple[int, datetime.date]] = []
    count = 0
    for protocol_id, anchor, enrolments in pairs:
        batch.append((protocol_id, anchor))
        count += enrolments
        if count >= size:
            yield batch
            batch, count = [], 0
    if batch:
        yield batch


Day = datetime.date
# One row of the candidates table, in _COLUMNS order.
Candidate = tuple[int, Day, str, int, Day, Day, Day, str, str, str, str, str, int | None]


def _candidate(
    protocol_id: int, anchor: datetime.date, task: PlannedTask, users: dict[str, int]
) -> Candidate:
    user_id = users.get(task.assignee_username) if task.assignee_kind == "user" else None
    return (protocol_id, anchor, task.step, task.number, task.due, task.opens, task.closes, task.channel,
            task.content_kind, task.content_ref, task.assignee_kind, task.assignee_role, user_id)  # fmt: skip


def _mark_superseded(org_id: int, today: datetime.date, full: bool) -> int:
    """Pending tasks whose window has closed and whose step's next occurrence has opened become missed.
    Whether a task is superseded depends on dates alone, so a run on a day already marked skips it."""
    marked = SweepState.objects.filter(organization_id=org_id, missed_through__gte=today)
    if not full and marked.exists():
        return 0
    later = Task.objects.filter(
        enrolment_id=OuterRef("enrolment_id"),
        step=OuterRef("step"),
        number__gt=OuterRef("number"),
        opens__lte=today,
    )
    with transaction.atomic():
        missed = (
            Task.objects.filter(organization_id=org_id, status="pending", closes__lt=today)
            .filter(Exists(later))
            .update(status="missed")
        )
        SweepState.objects.filter(organization_id=org_id).update(missed_through=today)
    return missed


_CREATE_MISSING = f"""
CREATE TEMPORARY TABLE {MISSING} (
    enrolment_id bigint NOT NULL, patient_id bigint NOT NULL, organization_id integer NOT NULL,
    step varchar(40) NOT NULL, number integer NOT NULL, due date NOT NULL, opens date NOT NULL,
    closes date NOT NULL, channel varchar(10) NOT NULL, content_kind varchar(15) NOT NULL,
    content_ref varchar(200) NOT NULL, assignee_kind varchar(20) NOT NULL, assignee_role varchar(20) NOT NULL,
    assignee_user_id integer NULL
)"""
_CREATE_CANDIDATES = f"""
CREATE TEMPORARY TABLE {CANDIDATES} (
    protocol_id integer NOT NULL, anchor date NOT NULL, step varchar(40) NOT NULL, number integer NOT NULL,
    due date NOT NULL, opens date NOT NULL, closes date NOT NULL, channel varchar(10) NOT NULL,
    content_kind varchar(15) NOT NULL, content_ref varchar(200) NOT NULL, assignee_kind varchar(20) NOT NULL,
    assignee_role varchar(20) NOT NULL, assignee_user_id integer NULL
)"""

_INSERT_CANDIDATE = f"INSERT INTO {CANDIDATES} ({_COLUMNS}) VALUES ({', '.join(['%s'] * 13)})"  # noqa: S608
# The tasks of the batch not made yet, found while the task table stands still: probing it in the statement
# that inserts into it would rescan, per enrolment, the rows that statement has just added. When nothing is
# missing (a second run) this is the whole cost: candidates joined to enrolments, anti-joined to tasks.
_SELECT_MISSING = f"""
INSERT INTO {MISSING} (enrolment_id, patient_id, organization_id, step, number, due, opens, closes, channel,
    content_kind, content_ref, assignee_kind, assignee_role, assignee_user_id)
SELECT e.id, e.patient_id, e.organization_id, c.step, c.number, c.due, c.opens, c.closes, c.channel,
    c.content_kind, c.content_ref, c.assignee_kind, c.assignee_role, c.assignee_user_id
FROM {CANDIDATES} c
JOIN {Enrolment._meta.db_table} e ON e.protocol_id = c.protocol_id AND e.anchor = c.anchor
WHERE e.organization_id = %s AND e.status = 'active' AND c.closes >= e.started_on
  AND NOT EXISTS (
    SELECT 1 FROM {Task._meta.db_table} t
    WHERE t.enrolment_id = e.id AND t.step = c.step AND t.number = c.number
  )
"""  # noqa: S608
# The responsible doctor is read from the patient when the task is made; without one, or for a role's task,
# the task waits in the role's queue (assignee_user NULL). ON CONFLICT keeps a sweep running beside this one
# from doubling a task; after a WHERE clause it parses the same on SQLite and PostgreSQL.
_INSERT_TASKS = f"""
INSERT INTO {Task._meta.db_table} ({_TASK_COLUMNS})
SELECT m.organization_id, m.enrolment_id, m.step, m.number, m.due, m.opens, m.closes, m.channel,
    m.content_kind, m.content_ref, m.assignee_role,
    CASE WHEN m.assignee_kind = 'responsible_doctor' THEN p.responsible_doctor_id ELSE m.assignee_user_id END,
    'pending'
FROM {MISSING} m JOIN {Patient._meta.db_table} p ON p.id = m.patient_id
WHERE 1 = 1
ORDER BY m.enrolment_id, m.step, m.number
ON CONFLICT DO NOTHING
"""  # noqa: S608
