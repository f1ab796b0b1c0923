"""What an organization lets hospital feeds do to its registry, and the changes feeds leave to staff."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from careloop.accounts.models import Organization, User
from careloop.encryption import EncryptedTextField
from careloop.observations.importing.matchorder import POLICY_HOLD, POLICY_REGISTER
from careloop.observations.models.imports import ImportBatch
from careloop.patients.models import Patient

UNKNOWN_PATIENT_POLICIES = [
    (POLICY_REGISTER, _("Register them")),
    (POLICY_HOLD, _("Hold them for review: staff register or reject each one")),
]


class FeedPolicy(models.Model):
    """What a feed (HL7 ADT, FHIR Patient) may do with a patient nobody matches. No row: register them."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="+")
    unknown_patients = models.CharField(
        _("Patients a feed names whom nobody matches"),
        max_length=10,
        choices=UNKNOWN_PATIENT_POLICIES,
        default=POLICY_REGISTER,
    )
    updated_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.unknown_patients}"

    @classmethod
    def unknown_patients_for(cls, organization_id: int) -> str:
        stored = cls.objects.filter(organization_id=organization_id).values_list(
            "unknown_patients", flat=True
        )
        return next(iter(stored), POLICY_REGISTER)


REVIEW_DECISIONS = [("applied", _("Feed's values applied")), ("kept", _("Our values kept"))]


class FeedReview(models.Model):
    """A feed's change to a patient's details that staff corrected by hand after the message was written:
    not applied until someone decides. `fields` names what differs; the values sent are kept encrypted
    (they may hold an ID number or a mobile)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    batch = models.ForeignKey(ImportBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    source_system = models.CharField(_("source system"), max_length=60, blank=True)
    source_id = models.CharField(_("message"), max_length=120, blank=True)
    event = models.CharField(_("event"), max_length=20, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    fields = models.JSONField(_("fields"), default=list)
    sent_values = EncryptedTextField(default="")  # JSON: field -> value as sent
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decision = models.CharField(max_length=10, choices=REVIEW_DECISIONS, blank=True)

    class Meta:
        verbose_name = _("feed change to review")
        verbose_name_plural = _("feed changes to review")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["organization", "resolved_at"], name="feedreview_open")]

    def __str__(self) -> str:
        return f"{', '.join(self.fields)} of patient {self.patient_id} ({self.source_system})"
