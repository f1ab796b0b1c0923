"""What happened when staff tried to reach a patient (随访记录), and the call's recordings (随访电话录音).

One outcome vocabulary is shared by every screen and report: `OUTCOMES`; what each does is outcomes.py.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from careloop.accounts.models import Organization, User
from careloop.followup.choices import CHANNELS
from careloop.followup.models import Enrolment, Task
from careloop.followup.outcomes import REACHED as REACHED  # re-exported: the outcome sets
from careloop.followup.outcomes import UNREACHED as UNREACHED
from careloop.patients.models import Patient
from careloop.questionnaires.models import QuestionnaireAnswer

OUTCOMES = [
    ("reached", _("Reached")),
    ("no_answer", _("No answer")),
    ("busy", _("Line busy")),
    ("switched_off", _("Phone off or out of service")),
    ("wrong_number", _("Wrong number")),
    ("refused", _("Refused follow-up")),
    ("hospitalised", _("In hospital")),
    ("deceased", _("Deceased")),
    ("moved", _("Moved away")),
]


class ContactRecord(models.Model):
    """One attempt to reach a patient, by any channel, with its structured outcome."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="contacts")
    # The task the attempt was for (none for a contact made outside a plan) and its enrolment.
    task = models.ForeignKey(Task, on_delete=models.SET_NULL, null=True, blank=True, related_name="contacts")
    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.SET_NULL, null=True, blank=True, related_name="contacts"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=CHANNELS, default="phone")
    outcome = models.CharField(_("outcome"), max_length=15, choices=OUTCOMES)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    next_contact_on = models.DateField(_("next contact"), null=True, blank=True)
    # The questionnaire filled in during the call, if one was.
    answer = models.ForeignKey(
        QuestionnaireAnswer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    occurred_at = models.DateTimeField(_("time"), default=timezone.now)
    recorded_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("contact record")
        verbose_name_plural = _("contact records")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "-occurred_at"], name="contact_by_patient"),
            models.Index(fields=["enrolment", "-occurred_at"], name="contact_by_enrolment"),
            models.Index(fields=["organization", "-occurred_at"], name="contact_by_organization"),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} {self.occurred_at:%Y-%m-%d %H:%M}"

    @property
    def reached(self) -> bool:
        return self.outcome in REACHED


class Recording(models.Model):
    """A call recording attached to a contact record: the uploaded file, and a copy the browser can play
    when the original's format is not one it plays (AMR)."""

    contact = models.ForeignKey(ContactRecord, on_delete=models.CASCADE, related_name="recordings")
    file = models.FileField(_("file"), upload_to="recordings/%Y/%m/", max_length=200)
    playback_file = models.FileField(
        _("playback copy"), upload_to="recordings/%Y/%m/", max_length=200, blank=True
    )
    original_name = models.CharField(_("file name"), max_length=200)
    media_type = models.CharField(_("type"), max_length=40)  # as read from the content, not the name
    size = models.PositiveIntegerField(_("size (bytes)"))
    duration_seconds = models.FloatField(_("duration (s)"), null=True, blank=True)
    transcript = models.TextField(_("transcript"), max_length=20000, blank=True)
    uploaded_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        verbose_name = _("call recording")
        verbose_name_plural = _("call recordings")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name
