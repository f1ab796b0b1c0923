"""The derived facts: only what is too dear to compute while a rule runs.

Everything else a rule reads (tags, conditions, medications, consent, encounters, questionnaire scores) is
read live from its own table by `careloop.facts.sources`. These rows are written only by
`careloop.facts.refresh`, which can rebuild them at any time from the results; nothing else edits them.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from careloop.accounts.models import Organization
from careloop.patients.models import Patient


class LatestIndicator(models.Model):
    """A patient's latest result of one indicator and the trend of its series (`latest`, `trend`)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="latest_indicators")
    code = models.CharField(_("indicator"), max_length=20)  # the catalogue's LOINC code, aliases resolved
    value = models.FloatField(_("value"))  # canonical unit
    observed_at = models.DateTimeField(_("observed"))
    # worsening / improving / stable (careloop.facts.indicators); "" under two days of results.
    trend = models.CharField(_("trend"), max_length=16, blank=True)
    changed_at = models.DateTimeField()  # when the refresh last found it changed (rules re-run after)

    class Meta:
        verbose_name = _("latest indicator")
        verbose_name_plural = _("latest indicators")
        constraints = [
            models.UniqueConstraint(fields=["patient", "code"], name="latestindicator_patient_code")
        ]
        # A population rule reads one code across the organization: latest("8480-6") >= 140.
        indexes = [models.Index(fields=["organization", "code", "value"], name="latestindicator_by_code")]

    def __str__(self) -> str:
        return f"{self.code} = {self.value:g}"


class DerivedMeasure(models.Model):
    """Values computed from several indicators, one row per patient that has any (`bmi`)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="derived_measure")
    bmi = models.FloatField(_("body-mass index"), null=True, blank=True)  # kg/m²
    bmi_at = models.DateTimeField(null=True, blank=True)
    changed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("derived measure")
        verbose_name_plural = _("derived measures")
        indexes = [models.Index(fields=["organization", "bmi"], name="derivedmeasure_by_bmi")]

    def __str__(self) -> str:
        return f"BMI {self.bmi}"
