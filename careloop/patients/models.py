import datetime
from collections.abc import Mapping

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from careloop.accounts.models import Department, Organization, User
from careloop.encryption import EncryptedTextField, shown
from careloop.patients import choices
from careloop.patients.cardnumbers import format_card_number
from careloop.patients.masking import mask_id_number, mask_mobile


class Patient(models.Model):
    """A person under the organization's care (FHIR Patient)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="patients")
    name = models.CharField(_("full name"), max_length=60)
    name_initials = models.CharField(_("pinyin initials"), max_length=30, db_index=True, editable=False)
    name_pinyin = models.CharField(_("pinyin"), max_length=200, editable=False)
    sex = models.CharField(_("sex"), max_length=10, choices=choices.SEX)
    birth_date = models.DateField(_("birth date"))
    id_type = models.CharField(_("ID document"), max_length=20, choices=choices.ID_TYPES, default="resident")
    id_number = EncryptedTextField(_("ID number"), blank=True, default="")
    id_number_index = models.CharField(max_length=40, blank=True, default="", editable=False)
    mobile = EncryptedTextField(_("mobile"), blank=True, default="")
    mobile_index = models.CharField(max_length=40, blank=True, default="", editable=False)
    mobile_last4 = models.CharField(max_length=4, blank=True, default="", editable=False)
    address = models.CharField(_("address"), max_length=200, blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=20, blank=True, choices=choices.ETHNICITIES)
    occupation = models.CharField(_("occupation"), max_length=30, blank=True, choices=choices.OCCUPATIONS)
    insurance_type = models.CharField(_("insurance"), max_length=30, blank=True, choices=choices.INSURANCE)
    responsible_doctor = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="patients",
        verbose_name=_("responsible doctor"),
    )
    department = models.ForeignKey(
        Department, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("department")
    )
    created_at = models.DateTimeField(_("registered"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Known from a contact's outcome or the record: every plan stops, and the worklist never shows them.
    deceased_on = models.DateField(_("date of death"), null=True, blank=True)
    moved_away_on = models.DateField(_("moved away on"), null=True, blank=True)
    # field -> when staff last set it by hand (ISO time): a feed's older value never silently replaces it.
    hand_edited = models.JSONField(default=dict, blank=True, editable=False)
    # Set when this record was merged into another (merging.py): it stays only as a redirect to that one.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        ordering = ["name_initials", "id"]
        indexes = [
            models.Index(fields=["organization", "id_number_index"], name="patient_by_id_number"),
            # By mobile (search), and the people of a mobile whose names sound alike (duplicates.py).
            models.Index(
                fields=["organization", "mobile_index", "name_pinyin"], name="patient_by_mobile_pinyin"
            ),
            models.Index(fields=["organization", "mobile_last4"], name="patient_by_mobile_last4"),
            models.Index(fields=["organization", "name_initials"], name="patient_by_initials"),
            models.Index(fields=["organization", "name"], name="patient_by_name"),
            # Probable duplicates: the people born on a day whose names sound alike (duplicates.py).
            models.Index(
                fields=["organization", "birth_date", "name_pinyin"], name="patient_by_birth_pinyin"
            ),
            # The few who left care (died, moved away, merged into another record): the worklist's
            # counters subtract their open tasks instead of joining every task to its patient.
            models.Index(
                fields=["organization"],
                condition=models.Q(deceased_on__isnull=False)
                | models.Q(moved_away_on__isnull=False)
                | models.Q(merged_into__isnull=False),
                name="patient_left_care",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def age(self, on: datetime.date | None = None) -> int:
        on = on or timezone.localdate()
        born = self.birth_date
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))

    @property
    def masked_id_number(self) -> str:
        return shown(self.id_number, mask_id_number)

    @property
    def masked_mobile(self) -> str:
        return shown(self.mobile, mask_mobile)


class Tag(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(_("name"), max_length=40)
    color = models.CharField(_("colour"), max_length=7, default="#2563eb")
    description = models.CharField(_("description"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="tag_unique_name")]

    def __str__(self) -> str:
        return self.name


class PatientTag(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="patient_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="patient_tags")
    source = models.CharField(_("source"), max_length=10, choices=choices.TAG_SOURCES, default="manual")
    rule = models.CharField(_("rule"), max_length=100, blank=True)  # the rule that made it, for source=rule
    # For source=rule: the facts that matched when the rule added it ({"latest 8480-6": 152, ...}).
    matched = models.JSONField(_("facts that matched"), default=dict, blank=True)
    added_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    added_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["patient", "tag"], name="patienttag_unique")]

    def __str__(self) -> str:
        return f"{_('patient')} {self.patient_id}: {_('tag')} {self.tag_id}"

    @property
    def provenance(self) -> str:
        """Where the tag came from, for the tag chip's tooltip: for a rule's tag, the rule, when it added
        the tag and the facts that matched then (`rule hypertension, 2026-12-07 08:00, matched: age = 67`)."""
        if self.source != "rule":
            return str(self.get_source_display())
        facts = describe_matched(self.matched)
        return _("rule %(rule)s, %(time)s, matched: %(facts)s") % {
            "rule": self.rule,
            "time": timezone.localtime(self.added_at).strftime("%Y-%m-%d %H:%M"),
            "facts": facts or "-",
        }


def describe_matched(matched: Mapping[str, object]) -> str:
    """The facts a rule matched, as a person would write them: `age = 67, latest("8480-6") = 152`."""
    return ", ".join(
        fact if value is True else f"{fact} = {_shown(value)}" for fact, value in matched.items()
    )


def _shown(value: object) -> str:
    """152.0 as 152, 6.55 as 6.55: a fact's value as a person would write it."""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class MembershipCard(models.Model):
    """客户开卡: a membership card. A replacement points at the card it replaces, so history is kept."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="cards")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="cards")
    number = models.CharField(_("card number"), max_length=20, unique=True)
    tier = models.CharField(_("tier"), max_length=10, choices=choices.CARD_TIERS, default="standard")
    status = models.CharField(_("status"), max_length=10, choices=choices.CARD_STATUSES, default="active")
    issued_on = models.DateField(_("issued on"), default=timezone.localdate)
    replaces = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by"
    )
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("membership card")
        verbose_name_plural = _("membership cards")
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=models.Q(status="active"), name="card_one_active_per_patient"
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def formatted_number(self) -> str:
        return format_card_number(self.number)


class CardSequence(models.Model):
    """The next card sequence number; one row, locked while a number is drawn."""

    name = models.CharField(max_length=20, primary_key=True)
    next_value = models.BigIntegerField(default=1)

    def __str__(self) -> str:
        return f"{self.name}: {self.next_value}"


class FamilyLink(models.Model):
    """家庭成员: someone related to the patient, who may act for them when `can_act_for` is granted."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="family_links")
    related_patient = models.ForeignKey(
        Patient,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("related patient"),
    )
    related_name = models.CharField(_("name"), max_length=60)
    related_mobile = EncryptedTextField(_("mobile"), blank=True, default="")
    relationship = models.CharField(_("relationship"), max_length=20, choices=choices.RELATIONSHIPS)
    is_guardian = models.BooleanField(_("legal guardian"), default=False)
    can_act_for = models.BooleanField(_("may view and act for the patient"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("family member")
        verbose_name_plural = _("family members")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.related_name} ({self.get_relationship_display()})"

    @property
    def masked_mobile(self) -> str:
        return shown(self.related_mobile, mask_mobile)


class ConsentEvent(models.Model):
    """One grant or withdrawal in the consent ledger (PIPL).

    Never updated: the newest event per purpose wins.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="consent_events")
    purpose = models.CharField(_("purpose"), max_length=20, choices=choices.CONSENT_PURPOSES)
    granted = models.BooleanField(_("granted"))
    at = models.DateTimeField(_("time"), default=timezone.now)
    given_by = models.CharField(_("given by"), max_length=10, choices=choices.CONSENT_GIVERS, default="self")
    guardian_name = models.CharField(_("guardian name"), max_length=60, blank=True)
    guardian_relationship = models.CharField(
        _("guardian relationship"), max_length=20, blank=True, choices=choices.RELATIONSHIPS
    )
    method = models.CharField(_("how"), max_length=10, choices=choices.CONSENT_METHODS, default="written")
    recorded_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("consent event")
        verbose_name_plural = _("consent events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["patient", "purpose", "at"], name="consent_latest")]

    def __str__(self) -> str:
        change = _("Granted") if self.granted else _("Withdrawn")
        return f"{self.get_purpose_display()}: {change} ({_('patient')} {self.patient_id})"


class Condition(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="conditions")
    icd10_code = models.CharField(_("ICD-10 code"), max_length=10)
    name = models.CharField(_("diagnosis"), max_length=100)
    onset_date = models.DateField(_("onset"), null=True, blank=True)
    clinical_status = models.CharField(
        _("status"), max_length=12, choices=choices.CONDITION_STATUSES, default="active"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("condition")
        verbose_name_plural = _("conditions")
        ordering = ["-onset_date", "-id"]
        indexes = [models.Index(fields=["icd10_code"], name="condition_by_code")]

    def __str__(self) -> str:
        return f"{self.icd10_code} {self.name}"


class Medication(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="medications")
    name = models.CharField(_("medicine"), max_length=100)
    dose = models.CharField(_("dose"), max_length=40, blank=True)
    route = models.CharField(_("route"), max_length=12, choices=choices.ROUTES, default="oral")
    frequency = models.CharField(_("frequency"), max_length=12, choices=choices.FREQUENCIES, default="qd")
    start_date = models.DateField(_("start"), null=True, blank=True)
    stop_date = models.DateField(_("stop"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("medication")
        verbose_name_plural = _("medications")
        ordering = ["stop_date", "-start_date", "-id"]

    def __str__(self) -> str:
        return f"{self.name} {self.dose}".strip()


class Allergy(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="allergies")
    substance = models.CharField(_("substance"), max_length=100)
    category = models.CharField(_("category"), max_length=12, choices=choices.ALLERGY_CATEGORIES)
    reaction = models.CharField(_("reaction"), max_length=100, blank=True)
    severity = models.CharField(_("severity"), max_length=10, choices=choices.SEVERITIES, default="mild")

    class Meta:
        verbose_name = _("allergy")
        verbose_name_plural = _("allergies")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.substance


class Lifestyle(models.Model):
    """The latest lifestyle assessment; one row per patient, replaced when reassessed."""

    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="lifestyle")
    smoking = models.CharField(_("smoking"), max_length=12, choices=choices.SMOKING, default="never")
    cigarettes_per_day = models.PositiveSmallIntegerField(_("cigarettes per day"), null=True, blank=True)
    alcohol = models.CharField(_("alcohol"), max_length=12, choices=choices.ALCOHOL, default="never")
    diet = models.CharField(_("diet"), max_length=12, choices=choices.DIETS, default="balanced")
    salt_intake = models.CharField(_("salt intake"), max_length=10, choices=choices.SALT, default="moderate")
    exercise = models.CharField(_("exercise"), max_length=12, choices=choices.EXERCISE, default="sometimes")
    sleep_hours = models.DecimalField(
        _("sleep (hours a night)"), max_digits=3, decimal_places=1, null=True, blank=True
    )
    assessed_on = models.DateField(_("assessed on"), default=timezone.localdate)

    class Meta:
        verbose_name = _("lifestyle")
        verbose_name_plural = _("lifestyle")

    def __str__(self) -> str:
        return f"{_('lifestyle')} ({_('patient')} {self.patient_id}, {self.assessed_on})"


class FamilyHistory(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="family_history")
    relative = models.CharField(_("relative"), max_length=20, choices=choices.RELATIVES)
    icd10_code = models.CharField(_("ICD-10 code"), max_length=10, blank=True)
    condition = models.CharField(_("condition"), max_length=100)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("family history")
        verbose_name_plural = _("family history")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_relative_display()}: {self.condition}"


class Encounter(models.Model):
    """A visit or stay (FHIR Encounter). Discharges will start follow-up plans."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="encounters")
    encounter_class = models.CharField(
        _("type"), max_length=12, choices=choices.ENCOUNTER_CLASSES, default="outpatient"
    )
    admitted_at = models.DateTimeField(_("admitted / seen"))
    discharged_at = models.DateTimeField(_("discharged"), null=True, blank=True)
    department = models.CharField(_("department"), max_length=60, blank=True)
    diagnoses = models.CharField(_("diagnoses"), max_length=300, blank=True)
    procedures = models.CharField(_("procedures"), max_length=300, blank=True)
    source_system = models.CharField(_("source system"), max_length=40, blank=True)
    source_id = models.CharField(_("source id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("encounter")
        verbose_name_plural = _("encounters")
        ordering = ["-admitted_at", "-id"]
        constraints = [
            # Per patient, so two organizations' systems with the same name and visit numbers never collide.
            models.UniqueConstraint(
                fields=["patient", "source_system", "source_id"],
                condition=~models.Q(source_id=""),
                name="encounter_unique_source",
            )
        ]
        indexes = [models.Index(fields=["discharged_at"], name="encounter_by_discharge")]

    def __str__(self) -> str:
        seen = f" {timezone.localdate(self.admitted_at)}" if self.admitted_at else ""
        return f"{self.get_encounter_class_display()}{seen}"


# The rows of the health-record sections (`record/sections.py`): each belongs to one patient.
RecordItem = Condition | Medication | Allergy | Lifestyle | FamilyHistory | Encounter


class PatientMerge(models.Model):
    """Two records of one person made one (merging.do_merge_patients), with what undoing it needs."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    survivor = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    merged = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    merged_at = models.DateTimeField(_("merged"), default=timezone.now)
    merged_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    source = models.JSONField(default=dict, blank=True)  # a feed's message that asked for it; {} by hand
    taken = models.JSONField(default=list)  # the fields whose value came from the merged record
    # JSON. The survivor's values (and hand-edit times) of the taken fields before the merge; the merged
    # record's ID number and mobile, cleared on it. Encrypted: they may hold either.
    survivor_before = EncryptedTextField(default="")
    merged_identifiers = EncryptedTextField(default="")
    moved = models.JSONField(default=dict)  # "app_label.Model.field" -> pks moved to the survivor
    kept = models.JSONField(default=dict)  # the same, for rows left with the merged record (a clash)
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)
    undone_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("merge of patient records")
        verbose_name_plural = _("merges of patient records")
        ordering = ["-merged_at", "-id"]
        indexes = [models.Index(fields=["organization", "merged_at"], name="patientmerge_by_time")]
        constraints = [
            models.UniqueConstraint(
                fields=["merged"], condition=models.Q(undone_at__isnull=True), name="patientmerge_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.merged_id} -> {self.survivor_id}"
