"""Protocols (随访方案) as versioned data, the enrolments of patients in them, and the dated tasks they make.

A protocol row is one version: once an enrolment uses it, its definition is never edited; a changed
definition becomes the next version, and enrolments keep the version they were enrolled in.
A task's natural key is (enrolment, step, number): the sweep inserts by it and a second run writes nothing.
"""

from functools import cached_property

from django.db import models
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from careloop.accounts.models import Organization, User
from careloop.followup.choices import CHANNELS
from careloop.followup.protocol_reading import ProtocolDefinition, read_protocol
from careloop.patients.models import Patient

PROTOCOL_STATUSES = [
    # Installed, shown in a dry run, enrols no one: a template the organization has not chosen to use.
    ("draft", pgettext_lazy("protocol status", "Off")),
    ("active", pgettext_lazy("protocol status", "In use")),
    ("retired", pgettext_lazy("protocol status", "Retired")),
]
ENROLMENT_STATUSES = [
    ("active", pgettext_lazy("enrolment status", "Active")),
    ("lost", pgettext_lazy("enrolment status", "Lost to follow-up")),  # 失访: still managed, unreachable
    ("ended", pgettext_lazy("enrolment status", "Ended")),
]
END_REASONS = [
    ("plan_ended", _("Plan completed")),
    ("deceased", _("Deceased")),
    ("moved", _("Moved away")),
    ("consent_withdrawn", _("Consent withdrawn")),
    ("goal_met", _("Goal met")),
    ("refused", _("Refused follow-up")),
    ("staff", _("Ended by staff")),
]
CONTENT_KINDS = [
    ("script", _("Call script")),
    ("questionnaire", _("Questionnaire")),
    ("article", _("Article")),
]
TASK_STATUSES = [
    ("pending", pgettext_lazy("task status", "To do")),
    ("done", pgettext_lazy("task status", "Done")),
    # Its window closed and a later occurrence of the same step has opened: that one is the task now.
    ("missed", pgettext_lazy("task status", "Missed")),
    ("cancelled", pgettext_lazy("task status", "Cancelled")),
]


class Protocol(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    key = models.SlugField(_("key"), max_length=40)
    version = models.PositiveIntegerField(_("version"))
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    status = models.CharField(_("status"), max_length=10, choices=PROTOCOL_STATUSES, default="draft")
    definition = models.JSONField(_("definition"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("follow-up protocol")
        verbose_name_plural = _("follow-up protocols")
        ordering = ["key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "key", "version"], name="protocol_key_version")
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def name(self) -> str:
        """The name in the language of the page: the two names are data, not translations of code."""
        language = get_language() or "zh-hans"
        return self.name_en if language.startswith("en") else self.name_zh

    @cached_property
    def parsed(self) -> ProtocolDefinition:
        return read_protocol(self.definition)


class Enrolment(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="enrolments")
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="enrolments")
    anchor = models.DateField(_("anchor date"))
    status = models.CharField(_("status"), max_length=10, choices=ENROLMENT_STATUSES, default="active")
    ended_reason = models.CharField(_("reason ended"), max_length=20, choices=END_REASONS, blank=True)
    started_at = models.DateTimeField(_("enrolled"), default=timezone.now)
    # The first day the plan owes a task on: a task whose window closed before it is never made.
    started_on = models.DateField(_("enrolled on"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    enrolled_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # What enrolled the patient: {"kind": "manual"} or the event (a discharge, its encounter id, department).
    trigger = models.JSONField(_("trigger"), default=dict)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["-started_at", "-id"]
        constraints = [
            # One open enrolment of a patient per protocol version (do_enrol checks across versions).
            models.UniqueConstraint(
                fields=["patient", "protocol"],
                condition=models.Q(status__in=["active", "lost"]),
                name="enrolment_one_open_per_protocol",
            )
        ]
        indexes = [
            # The sweep reads the active enrolments of an organization by (protocol version, anchor).
            models.Index(
                fields=["organization", "protocol", "anchor"],
                condition=models.Q(status="active"),
                name="enrolment_active_by_anchor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient_id} in {self.protocol_id} from {self.anchor}"


class Task(models.Model):
    """One dated follow-up contact owed to a patient (FHIR Task)."""

    # Every index and foreign-key check costs seconds per million rows in the sweep (PERFORMANCE.md §2).
    # The enrolment is a checked foreign key: no task without its enrolment. The organization is copied
    # from that enrolment in the same statement, so it is not checked again; the natural key and the
    # worklist indexes below lead with enrolment and organization, so neither needs an index of its own.
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="tasks", db_index=False)
    step = models.CharField(_("step"), max_length=40)
    number = models.PositiveIntegerField(_("occurrence"))  # 0 for the step's first
    due = models.DateField(_("due"))
    opens = models.DateField(_("opens"))
    closes = models.DateField(_("closes"))
    channel = models.CharField(_("channel"), max_length=10, choices=CHANNELS)
    # A questionnaire's key or an article's reference; a call script is the step's, in the protocol version.
    content_kind = models.CharField(_("content"), max_length=15, choices=CONTENT_KINDS)
    content_ref = models.CharField(_("content reference"), max_length=200, blank=True)
    # A task is either a person's (the responsible doctor, a named user) or a role's queue.
    assignee_role = models.CharField(_("assigned role"), max_length=20, blank=True)
    # Staff are deactivated, not deleted; if one ever is, Django's collector clears this (SET_NULL runs in
    # Python), so the database need not check it on every insert.
    assignee_user = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    status = models.CharField(_("status"), max_length=10, choices=TASK_STATUSES, default="pending")
    # How far up the protocol's escalation ladder the task has gone (0: as planned). A database default:
    # the sweep writes tasks with INSERT … SELECT and leaves it out.
    rung = models.PositiveSmallIntegerField(_("escalation step"), db_default=0)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up task")
        verbose_name_plural = _("follow-up tasks")
        ordering = ["due", "id"]
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "step", "number"], name="task_natural_key"),
        ]
        indexes = [
            # The worklist: a person's open tasks, and a role's unassigned ones, by due date. Each open task
            # is in exactly one of the two; done and cancelled tasks leave both. The id ends each key: the
            # list's order is (due, id), read from the index without sorting a day's tasks.
            models.Index(
                fields=["organization", "assignee_user", "due", "id"],
                condition=models.Q(status="pending", assignee_user__isnull=False),
                name="task_open_by_user",
            ),
            models.Index(
                fields=["organization", "assignee_role", "due", "id"],
                condition=models.Q(status="pending", assignee_user__isnull=True),
                name="task_open_by_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.step} #{self.number} due {self.due}"

    @property
    def assignee_label(self) -> str:
        """Who the task is for: the person, or the role's queue in the reader's words (护士 queue)."""
        if self.assignee_user_id is not None and self.assignee_user is not None:
            return str(self.assignee_user)
        roles = dict(User._meta.get_field("role").choices or [])
        return str(roles.get(self.assignee_role, self.assignee_role))


class SweepState(models.Model):
    """How far the sweep has made an organization's tasks: each run makes those falling due after
    `planned_through` (a day's worth, daily), so its cost follows the day's tasks, not the population.
    Enrolling and moving an anchor make their own tasks up to the horizon at once (actions.py)."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    planned_through = models.DateField(_("tasks made through"))
    # The day superseded tasks were last marked missed: a second run that day has nothing to mark.
    missed_through = models.DateField(_("missed tasks marked through"), null=True, blank=True)
    swept_at = models.DateTimeField(_("last sweep"), default=timezone.now)

    class Meta:
        verbose_name = _("sweep state")
        verbose_name_plural = _("sweep states")

    def __str__(self) -> str:
        return f"{self.organization_id} through {self.planned_through}"


from careloop.followup.contact_models import ContactRecord, Recording  # noqa: E402  (registers the models)

__all__ = ["ContactRecord", "Enrolment", "Protocol", "Recording", "SweepState", "Task"]
