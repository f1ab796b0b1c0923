"""Results as they arrive from hospital systems, exam reports, devices, patients and staff.

Every result keeps what the source said (value and unit as reported) beside the normalized value in the
indicator's canonical unit, and its natural key (organization, source system, source id): importing the
same data again finds the row; a corrected value updates it and the old value goes to ObservationVersion.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from careloop.accounts.models import Organization, User
from careloop.observations.models.imports import ImportBatch, local_day
from careloop.patients.models import Patient

SOURCE_KINDS = [
    ("exam_report", _("Exam report")),
    ("hospital_system", _("Hospital system")),
    ("device", _("Device")),
    ("self_report", _("Patient self-report")),
    ("staff", _("Staff")),
]
FLAGS = [
    ("normal", _("Normal")),
    ("high", _("High")),
    ("low", _("Low")),
    ("critical_high", _("Critically high")),
    ("critical_low", _("Critically low")),
    ("abnormal", _("Abnormal")),
    ("", _("Not assessed")),
]
RESULT_STATUSES = [
    ("final", _("Final")),
    ("preliminary", _("Preliminary")),
    ("corrected", _("Corrected")),
    ("amended", _("Amended")),
    ("cancelled", _("Cancelled")),
    ("entered-in-error", _("Entered in error")),
]


class ExamReport(models.Model):
    """体检报告 / FHIR DiagnosticReport: results grouped with the institution, package and conclusion."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="exam_reports")
    source_system = models.CharField(_("source system"), max_length=60)
    source_id = models.CharField(_("source id"), max_length=120)
    issued_at = models.DateTimeField(_("issued"))
    institution = models.CharField(_("institution"), max_length=120, blank=True)
    package = models.CharField(_("package"), max_length=120, blank=True)
    conclusion = models.TextField(_("conclusion"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=RESULT_STATUSES, default="final")
    batch = models.ForeignKey(ImportBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("exam report")
        verbose_name_plural = _("exam reports")
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "source_system", "source_id"], name="examreport_natural_key"
            )
        ]

    def __str__(self) -> str:
        parts = [self.package or str(_("exam report")), self.institution, str(local_day(self.issued_at))]
        return ", ".join(part for part in parts if part)


class Observation(models.Model):
    """One result (FHIR Observation).

    `value`/`unit` are canonical; `value_reported`/`unit_reported` are as sent.
    """

    # Imports write this table hardest: each index costs every row. The natural key and the series index
    # lead with the organization and the patient, so those two get no index of their own.
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="observations", db_constraint=False, db_index=False
    )
    code = models.CharField(_("LOINC code"), max_length=20)
    value = models.FloatField(_("value"), null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    comparator = models.CharField(_("comparator"), max_length=2, blank=True)  # "<", ">", "<=", ">="
    value_reported = models.CharField(_("value as reported"), max_length=100)
    unit_reported = models.CharField(_("unit as reported"), max_length=30, blank=True)
    flag = models.CharField(_("flag"), max_length=14, choices=FLAGS, blank=True)
    effective_at = models.DateTimeField(_("time"))
    status = models.CharField(_("status"), max_length=20, choices=RESULT_STATUSES, default="final")
    source_kind = models.CharField(_("source"), max_length=16, choices=SOURCE_KINDS)
    source_system = models.CharField(_("source system"), max_length=60)
    source_id = models.CharField(_("source id"), max_length=120)
    report = models.ForeignKey(
        ExamReport,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="results",
        db_constraint=False,
        db_index=False,  # most results belong to no report: see the partial index below
    )
    reference_range_reported = models.CharField(_("reference range as reported"), max_length=60, blank=True)
    version = models.PositiveIntegerField(default=1)
    batch = models.ForeignKey(
        ImportBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_constraint=False
    )
    updated_at = models.DateTimeField(default=timezone.now)
    # The hash of the NDJSON line this row was last written from (records.HeldLines): a re-import skips a
    # line that finds it here. Empty for results from elsewhere, which are always read again.
    source_digest = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "source_system", "source_id"], name="observation_natural_key"
            )
        ]
        indexes = [
            models.Index(fields=["patient", "code", "effective_at"], name="observation_series"),
            models.Index(fields=["report"], condition=Q(report__isnull=False), name="observation_report"),
        ]

    def __str__(self) -> str:
        reported = f"{self.value_reported} {self.unit_reported}".strip()
        return f"{self.code} = {reported} ({local_day(self.effective_at)})"


class ObservationVersion(models.Model):
    """A value an observation had before a correction replaced it."""

    observation = models.ForeignKey(
        Observation, on_delete=models.CASCADE, related_name="versions", db_constraint=False
    )
    version = models.PositiveIntegerField()
    value = models.FloatField(null=True)
    unit = models.CharField(max_length=20, blank=True)
    value_reported = models.CharField(max_length=100)
    unit_reported = models.CharField(max_length=30, blank=True)
    flag = models.CharField(max_length=14, blank=True)
    status = models.CharField(max_length=20)
    effective_at = models.DateTimeField()
    replaced_at = models.DateTimeField(default=timezone.now)
    replaced_by_batch = models.ForeignKey(
        ImportBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_constraint=False
    )

    class Meta:
        ordering = ["observation", "version"]
        constraints = [
            models.UniqueConstraint(fields=["observation", "version"], name="observationversion_unique")
        ]

    def __str__(self) -> str:
        reported = f"{self.value_reported} {self.unit_reported}".strip()
        return f"version {self.version}: {reported} (replaced {local_day(self.replaced_at)})"


class CriticalLimit(models.Model):
    """An organization's own critical values (危急值) for an indicator, in the indicator's canonical unit.

    Each hospital sets its own list; the catalogue ships limits only where a national guideline gives one.
    A side left blank keeps the catalogue's (flags.critical_limits). A limit judges the results imported
    after it is set: the flags of results already stored are what they were judged on arrival.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("indicator"), max_length=20)
    low = models.FloatField(_("critically low below"), null=True, blank=True)
    high = models.FloatField(_("critically high above"), null=True, blank=True)
    updated_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="criticallimit_unique"),
            models.CheckConstraint(
                condition=Q(low__isnull=False) | Q(high__isnull=False), name="criticallimit_one_side"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code}: < {self.low} / > {self.high}"
