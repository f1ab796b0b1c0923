"""Imports and what they leave to staff: each import's record and refusals, results waiting for a patient,
and the source systems' own ids of our patients."""

import datetime
from typing import TYPE_CHECKING

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from careloop.accounts.models import Organization, User
from careloop.encryption import EncryptedTextField, shown
from careloop.observations.importing import problemkinds
from careloop.patients.masking import mask_id_number
from careloop.patients.models import Patient
from careloop.redaction import redact

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def local_day(moment: datetime.datetime) -> datetime.date:
    """The local calendar day of a stored time, for the short descriptions below."""
    return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()


class ImportBatch(models.Model):
    """One import: a file, an upload or one message on the MLLP listener; its counts and its problems."""

    KINDS = [("fhir", "FHIR"), ("hl7v2", "HL7 v2"), ("csv", "CSV"), ("xlsx", "Excel")]
    MODES = [("keep_good", _("Keep the good rows")), ("all_or_nothing", _("All or nothing"))]
    STATUSES = [
        ("running", _("Running")),
        ("done", _("Done")),
        ("refused", _("Refused")),
        ("failed", _("Failed")),
    ]
    # Where the results came from: which way into CareLoop (actions.do_import runs them all).
    ORIGINS = [
        ("command", _("Command line")),
        ("upload", _("Upload")),
        ("mllp", _("HL7 v2 listener")),
        ("match", _("Matched by hand")),
        ("demo", _("Demo data")),
    ]

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="import_batches")
    kind = models.CharField(_("format"), max_length=10, choices=KINDS)
    filename = models.CharField(_("file"), max_length=200, blank=True)
    origin = models.CharField(_("origin"), max_length=10, choices=ORIGINS, default="command")
    mode = models.CharField(_("mode"), max_length=16, choices=MODES, default="keep_good")
    status = models.CharField(_("status"), max_length=10, choices=STATUSES, default="running")
    started_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    received = models.PositiveIntegerField(_("received"), default=0)
    created = models.PositiveIntegerField(_("new"), default=0)
    updated = models.PositiveIntegerField(_("corrected"), default=0)
    unchanged = models.PositiveIntegerField(_("already there"), default=0)
    refused = models.PositiveIntegerField(_("refused"), default=0)
    unmatched = models.PositiveIntegerField(_("unmatched patient"), default=0)
    # What the import did to the registry (person records: ADT PID, FHIR Patient).
    patients_registered = models.PositiveIntegerField(_("patients registered"), default=0)
    patients_updated = models.PositiveIntegerField(_("patients updated"), default=0)
    waiting_filed = models.PositiveIntegerField(_("waiting results filed"), default=0)
    for_review = models.PositiveIntegerField(_("changes held for review"), default=0)
    # Refusals past the stored cap (settings.IMPORT_LIMITS.stored_problems), counted by problem code.
    problems_not_stored = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({local_day(self.started_at)}, {self.get_status_display()})"

    @property
    def name(self) -> "StrOrPromise":
        """The file's name, or where the results came from when they were not a file."""
        return self.filename or self.get_origin_display()

    COUNTS = (
        "received",
        "created",
        "updated",
        "unchanged",
        "refused",
        "unmatched",
        "patients_registered",
        "patients_updated",
        "waiting_filed",
        "for_review",
    )

    def counts(self) -> dict[str, int]:
        """What the import did (COUNTS), by name."""
        return {name: getattr(self, name) for name in self.COUNTS}

    @property
    def not_stored_count(self) -> int:
        return sum(self.problems_not_stored.values())

    @property
    def not_stored_by_kind(self) -> list[tuple["StrOrPromise", int]]:
        """(kind in the user's language, count) of the refusals not stored, the most frequent first."""
        counts = sorted(self.problems_not_stored.items(), key=lambda item: (-item[1], item[0]))
        return [(problemkinds.kind_label(code), number) for code, number in counts]


class ImportProblem(models.Model):
    """A refused item: where it was, which field, what value, and why.

    Values are stored with identifiers masked.
    """

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="problems")
    location = models.CharField(_("where"), max_length=80)
    field = models.CharField(_("field"), max_length=80, blank=True)
    value = models.CharField(_("value"), max_length=200, blank=True)
    code = models.CharField(_("code"), max_length=30)
    reason = models.CharField(_("reason"), max_length=300)
    # The reason's English template and parameters (records.because), so it can be shown translated.
    reason_template = models.CharField(max_length=300, blank=True)
    reason_params = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        # Not the value nor the reason: either may quote what the source sent.
        where = f"{self.location} {self.field}".strip()
        return f"{where}: {self.kind_label}"

    @property
    def kind_label(self) -> "StrOrPromise":
        return problemkinds.kind_label(self.code)

    @property
    def field_text(self) -> str:
        return problemkinds.field_text(self.field)

    @property
    def location_text(self) -> str:
        return problemkinds.location_text(self.location)

    @property
    def value_text(self) -> str:
        """The value as stored, masked again: rows stored before the redaction knew a shape stay safe."""
        return redact(self.value)

    @property
    def reason_text(self) -> str:
        """The reason in the user's language where a translation exists, else the English sentence."""
        return redact(problemkinds.reason_text(self.reason, self.reason_template, self.reason_params))


# Why a record waits for a patient (matching.why_unmatched, and a registration that it contradicts).
WHY_WAITING = [
    ("no_identifier", _("No ID number or MRN was sent")),
    ("unknown_id_number", _("No patient has this ID number")),
    ("unknown_mrn", _("No patient has this MRN")),
    ("contradiction", _("Name, sex or birth date differ from the patient with this ID number")),
    ("probable_match", _("Probably a patient already registered: review before registering")),
    ("incomplete", _("Not enough to register: no name, no birth date or an invalid ID number")),
    ("held", _("The feed policy holds new patients for review")),
]


class UnmatchedResult(models.Model):
    """A result for a patient the organization does not know (yet). Kept until staff match it by hand."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(ImportBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=12, default="result")  # result / report / encounter / patient
    patient_name = models.CharField(_("name as sent"), max_length=60, blank=True)
    patient_birth_date = models.DateField(_("birth date as sent"), null=True, blank=True)
    patient_sex = models.CharField(max_length=10, blank=True)
    patient_mrn = models.CharField(_("MRN as sent"), max_length=60, blank=True)
    patient_mrn_system = models.CharField(max_length=60, blank=True)
    patient_id_number = EncryptedTextField(blank=True, default="")
    patient_id_number_index = models.CharField(max_length=40, blank=True, default="", db_index=True)
    patient_mobile = EncryptedTextField(blank=True, default="")  # a person record's (kind "patient")
    record = models.JSONField(_("result"))  # the record as received, identifiers removed
    why = models.CharField(_("why it waits"), max_length=20, choices=WHY_WAITING, blank=True, default="")
    # The record's id in its source: the same result sent again updates its entry instead of adding one.
    source_system = models.CharField(max_length=60, blank=True, default="")
    source_id = models.CharField(max_length=120, blank=True, default="")
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    resolved_patient = models.ForeignKey(
        Patient, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("unmatched result")
        verbose_name_plural = _("unmatched results")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "resolved_at"], name="unmatched_open"),
            models.Index(fields=["organization", "source_id"], name="unmatched_source"),
        ]

    def __str__(self) -> str:
        # The name as sent, never the identifiers the source sent with it.
        named = f" for {self.patient_name}" if self.patient_name else ""
        return f"{self.kind}{named} ({local_day(self.received_at)})"

    @classmethod
    def waiting(cls, organization_id: int) -> "models.QuerySet[UnmatchedResult]":
        """Results and visits waiting for a patient. An exam report waits too, but is not listed: it is
        filed with its results when staff match them (its conclusion and package are kept meanwhile)."""
        return cls.objects.filter(organization_id=organization_id, resolved_at__isnull=True).exclude(
            kind="report"
        )

    @property
    def masked_id_number(self) -> str:
        return shown(self.patient_id_number, mask_id_number)

    @property
    def time_as_sent(self) -> str:
        """The result's or visit's time as the source gave it, to the minute."""
        record = self.record
        text = (
            record.get("effective_at")
            or record.get("admitted_at")
            or record.get("issued_at")
            or record.get("sent_at")
            or ""
        )
        return str(text)[:16].replace("T", " ")

    @property
    def summary(self) -> str:
        """The parked record in a few words, masked (the record itself is kept as sent, to be filed)."""
        keys = _SUMMARY_KEYS.get(self.kind, ("code", "value", "unit"))
        return redact(" ".join(filter(None, (str(self.record.get(key, "")) for key in keys))))


_SUMMARY_KEYS = {
    "encounter": ("encounter_class", "department"),
    "report": ("package", "institution"),
    "patient": ("event", "address"),
}


class PatientIdentifier(models.Model):
    """A source system's own id for one of our patients (PID-3 / Patient.identifier).

    Remembered so that later messages naming the patient the same way match.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="source_identifiers")
    system = models.CharField(max_length=60)
    value = models.CharField(max_length=60)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "system", "value"], name="patientidentifier_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.system}: {mask_id_number(self.value)}"
