"""An alert: something the product raised that a clinician must acknowledge and resolve.

Every source (a questionnaire answer today; critical results, crisis text, lost to follow-up, rule alerts
and delivery failures later) raises into the same table, naming what raised it by `source_type` and
`source_id` and why by `reason`. Those four with the organization are unique, so raising again from the
same source for the same reason changes nothing.
"""

import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from careloop.accounts.models import Organization, User
from careloop.patients.models import Patient

KINDS = [
    ("questionnaire", _("Questionnaire answer")),
    ("lost_to_followup", _("Lost to follow-up")),
    # Sources to come (issue 26): critical_result, crisis_text, rule, delivery_failure.
]
SEVERITIES = [
    ("urgent", pgettext_lazy("alert severity", "Urgent")),
    ("high", pgettext_lazy("alert severity", "High")),
    ("normal", pgettext_lazy("alert severity", "Normal")),
]
STATUSES = [
    ("open", pgettext_lazy("alert status", "Open")),
    ("acknowledged", pgettext_lazy("alert status", "Acknowledged")),
    ("resolved", pgettext_lazy("alert status", "Resolved")),
]
# Most pressing first: the inbox and the patient page sort by these.
SEVERITY_RANK = {"urgent": 0, "high": 1, "normal": 2}
STATUS_RANK = {"open": 0, "acknowledged": 1, "resolved": 2}
UNRESOLVED = ("open", "acknowledged")


class Alert(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    # None for alerts about no one patient (a provider's delivery failures, later).
    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, null=True, blank=True, related_name="alerts"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=KINDS)
    severity = models.CharField(_("severity"), max_length=10, choices=SEVERITIES)
    # In the language of the source (the questionnaire's); pages word the alert from `detail` instead.
    title = models.CharField(_("title"), max_length=200)
    # What raised it, shaped by its kind: for a questionnaire, the questionnaire, the band or flag, and
    # each item that caused it with the answer given.
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    source_type = models.CharField(max_length=40)  # "questionnaire_answer"
    source_id = models.CharField(max_length=64)  # the source row's key, as text: not every source is a row
    reason = models.CharField(max_length=100)  # "flag:<code>", "band:<score>:<band>": one alert per reason
    assigned_to = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    status = models.CharField(_("status"), max_length=15, choices=STATUSES, default="open")
    raised_at = models.DateTimeField(_("raised"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    resolution_note = models.TextField(_("resolution note"), blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "source_type", "source_id", "reason"], name="alert_source_reason"
            )
        ]
        indexes = [
            models.Index(fields=["organization", "status", "raised_at"], name="alert_inbox"),
            models.Index(fields=["assigned_to", "status"], name="alert_assigned"),
            models.Index(fields=["patient", "status"], name="alert_patient"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def time_to_acknowledge(self) -> datetime.timedelta | None:
        return self.acknowledged_at - self.raised_at if self.acknowledged_at else None
