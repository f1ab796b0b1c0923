"""Questionnaires an organization uses, their versions, and the answers staff record.

A version's `definition` is FHIR R4 Questionnaire JSON, read by the pure core (`fhir_reading`). A version
is never edited once stored: an answer keeps pointing at the version it answered and shows its wording.
"""

import datetime
from functools import cached_property

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from careloop.accounts.models import Organization, User
from careloop.encryption import EncryptedTextField
from careloop.patients.models import Patient
from careloop.questionnaires.definition import Questionnaire as Definition
from careloop.questionnaires.fhir_reading import parse_questionnaire

STATUSES = [
    ("active", pgettext_lazy("questionnaire status", "In use")),
    ("retired", pgettext_lazy("questionnaire status", "Retired")),
]
LANGUAGES = [("zh", _("Chinese")), ("en", _("English"))]
CHANNELS = [("staff", _("Staff")), ("link", _("Patient's link"))]


class Questionnaire(models.Model):
    """One instrument in one language (PHQ-9 in Chinese and PHQ-9 in English are two questionnaires)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    key = models.SlugField(_("key"), max_length=40)
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGES)
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=STATUSES, default="active")

    class Meta:
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        ordering = ["key", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "key", "language"], name="questionnaire_key_language"
            )
        ]

    def __str__(self) -> str:
        return self.title


class QuestionnaireVersion(models.Model):
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    definition = models.JSONField(_("definition"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("questionnaire version")
        verbose_name_plural = _("questionnaire versions")
        ordering = ["questionnaire", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "number"], name="questionnaireversion_number")
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire} v{self.number}"

    @cached_property
    def parsed(self) -> Definition:
        return parse_questionnaire(self.definition)


class QuestionnaireAnswer(models.Model):
    """One completed questionnaire: the FHIR QuestionnaireResponse and the scores computed when stored."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    # None for an anonymous survey answered by link: the answer is kept, but not who gave it.
    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, null=True, blank=True, related_name="questionnaire_answers"
    )
    version = models.ForeignKey(QuestionnaireVersion, on_delete=models.PROTECT, related_name="answers")
    response = models.JSONField(_("response"))
    scores = models.JSONField(_("scores"), default=dict)
    answered_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    answered_at = models.DateTimeField(_("answered"), default=timezone.now)
    channel = models.CharField(_("channel"), max_length=10, choices=CHANNELS, default="staff")

    class Meta:
        verbose_name = _("questionnaire answer")
        verbose_name_plural = _("questionnaire answers")
        ordering = ["-answered_at"]
        indexes = [models.Index(fields=["patient", "answered_at"], name="qanswer_patient_time")]

    def __str__(self) -> str:
        return f"{self.version} {self.answered_at:%Y-%m-%d}"


class QuestionnaireScore(models.Model):
    """One total of one answer, as a row: what tags, alerts, protocols and reports read about a patient's
    scores ("PHQ-9 severe in the last 30 days") in SQL, without opening every answer's JSON. Written with
    the answer and never changed; an anonymous answer has none (it is about nobody)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="questionnaire_scores")
    answer = models.ForeignKey(QuestionnaireAnswer, on_delete=models.CASCADE, related_name="score_rows")
    code = models.CharField(_("score"), max_length=64)  # the rule's code: LOINC 44261-6 for PHQ-9's total
    total = models.FloatField(_("total"))
    band = models.CharField(_("band"), max_length=40, blank=True, default="")
    answered_at = models.DateTimeField(_("answered"))

    class Meta:
        verbose_name = _("questionnaire score")
        verbose_name_plural = _("questionnaire scores")
        constraints = [models.UniqueConstraint(fields=["answer", "code"], name="qscore_answer_code")]
        indexes = [
            models.Index(fields=["organization", "code", "answered_at"], name="qscore_org_code_time"),
            models.Index(fields=["patient", "code", "answered_at"], name="qscore_patient_code_time"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.total:g}"


class QuestionnaireInvitation(models.Model):
    """A link that lets one patient answer one questionnaire version once, without logging in.

    The token is found by its keyed digest (the installation's index key), so the database alone neither
    opens a link nor tells one; it is also kept encrypted, so staff can show the link again to a patient
    who lost the message. What the patient has typed so far is kept in `draft`, raw as posted.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="questionnaire_invitations")
    version = models.ForeignKey(QuestionnaireVersion, on_delete=models.PROTECT, related_name="invitations")
    token_digest = models.CharField(max_length=128, unique=True)
    token = EncryptedTextField(_("link token"))
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    draft = models.JSONField(_("answers so far"), default=dict, blank=True)
    draft_saved_at = models.DateTimeField(_("last saved"), null=True, blank=True)
    answer = models.OneToOneField(
        QuestionnaireAnswer, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitation"
    )
    completed_at = models.DateTimeField(_("answered"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    class Meta:
        verbose_name = _("questionnaire link")
        verbose_name_plural = _("questionnaire links")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["patient", "created_at"], name="qinvite_patient_time")]

    def __str__(self) -> str:
        return f"{self.version} → {self.patient_id}"

    def state(self, now: datetime.datetime) -> str:
        """ "answered", "withdrawn", "expired" or "open" (answered wins: a finished link stays finished)."""
        if self.completed_at is not None:
            return "answered"
        if self.revoked_at is not None:
            return "withdrawn"
        if now >= self.expires_at:
            return "expired"
        return "open"
