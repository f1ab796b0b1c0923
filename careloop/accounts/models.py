from typing import Any, ClassVar, NoReturn, Self

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Models of this app kept in their own module, re-exported so that Django and callers find them here.
from careloop.accounts.login_models import LoginThrottle as LoginThrottle
from careloop.accounts.login_models import RecoveryCode as RecoveryCode
from careloop.accounts.password_rules import BOUNDS, DEFAULT_RULES, PasswordRules
from careloop.accounts.roles import Perm, Role, role_allows
from careloop.encryption import EncryptedTextField


class Organization(models.Model):
    """A tenant: a hospital, health-check centre or community clinic. Patient data never crosses it."""

    name = models.CharField(_("name"), max_length=200)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="departments", verbose_name=_("organization")
    )
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="department_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A staff member. Superusers without an organization administer the installation only."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("organization"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("department"),
    )
    role = models.CharField(
        _("role"),
        max_length=20,
        choices=[
            (Role.ADMIN, _("Administrator")),
            (Role.DOCTOR, _("Doctor")),
            (Role.NURSE, _("Nurse / health manager")),
            (Role.RECEPTIONIST, _("Receptionist")),
            (Role.AUDITOR, _("Audit reviewer")),
        ],
        default=Role.NURSE,
    )
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    failed_logins = models.PositiveSmallIntegerField(_("failed logins in a row"), default=0)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    totp_secret = EncryptedTextField(_("TOTP secret"), blank=True, default="")
    totp_confirmed = models.BooleanField(_("second factor enabled"), default=False)
    totp_enabled_at = models.DateTimeField(_("second factor enabled on"), null=True, blank=True)
    # The newest TOTP time step accepted for this user: no code of that step or an older one is taken again.
    totp_last_step = models.BigIntegerField(_("last TOTP time step used"), null=True, blank=True)
    must_change_password = models.BooleanField(_("must change password"), default=False)
    password_changed_at = models.DateTimeField(_("password changed"), default=timezone.now)

    objects: ClassVar[UserManager[Self]] = UserManager()

    class Meta:
        verbose_name = _("staff user")
        verbose_name_plural = _("staff users")
        constraints = [
            # The installation's superuser stands outside every organization (三员分立): it never reads
            # patients, and an organization's staff can never become it.
            models.CheckConstraint(
                condition=models.Q(is_superuser=False) | models.Q(organization__isnull=True),
                name="superuser_without_organization",
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    def can(self, permission: Perm) -> bool:
        return self.is_active and self.organization_id is not None and role_allows(self.role, permission)

    @property
    def label(self) -> str:
        return str(self)

    @property
    def is_installation_superuser(self) -> bool:
        """An active superuser outside every organization: the Django admin's only user; reads no patient."""
        return self.is_active and self.is_superuser and self.organization_id is None


def _bounded(field: str) -> list[MinValueValidator | MaxValueValidator]:
    low, high = BOUNDS[field]
    return [MinValueValidator(low), MaxValueValidator(high)]


class PasswordPolicy(models.Model):
    """An organization's password rules; an organization without a row uses `DEFAULT_RULES`."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="password_policy", verbose_name=_("organization")
    )
    min_length = models.PositiveSmallIntegerField(
        _("minimum length"), default=DEFAULT_RULES.min_length, validators=_bounded("min_length")
    )
    min_classes = models.PositiveSmallIntegerField(
        _("character classes required"),
        default=DEFAULT_RULES.min_classes,
        validators=_bounded("min_classes"),
        help_text=_("Of four: lower-case letters, capitals, digits, other characters."),
    )
    history = models.PositiveSmallIntegerField(
        _("previous passwords refused"),
        default=DEFAULT_RULES.history,
        validators=_bounded("history"),
        help_text=_("A new password may not be any of this many previous ones. 0 turns the check off."),
    )
    max_age_days = models.PositiveSmallIntegerField(
        _("maximum age in days"),
        default=DEFAULT_RULES.max_age_days,
        validators=_bounded("max_age_days"),
        help_text=_("Staff must choose a new password once theirs is this old. 0: passwords never expire."),
    )

    class Meta:
        verbose_name = _("password policy")
        verbose_name_plural = _("password policies")

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.rules()}"

    def rules(self) -> PasswordRules:
        return PasswordRules(self.min_length, self.min_classes, self.history, self.max_age_days)


class PasswordHistory(models.Model):
    """The hashes of a user's recent passwords (newest kept), so that an old one is not chosen again."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)  # the hash, as stored in User.password
    set_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["user", "-set_at"], name="password_history_by_user")]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.set_at:%Y-%m-%d}"


class AppendOnlyQuerySet[M: models.Model](models.QuerySet[M]):
    """Bulk UPDATE and DELETE are refused too, so no code path rewrites the trail by accident.

    On PostgreSQL triggers refuse them in the database as well (migration 0002_audit_sealed_behind_inserts).
    """

    def update(self, **kwargs: Any) -> NoReturn:
        raise RuntimeError("the audit trail is append-only")

    def delete(self) -> NoReturn:
        raise RuntimeError("the audit trail is append-only")


class AppendOnlyModel(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:  # a row read back from the database is never written again
            raise RuntimeError("the audit trail is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise RuntimeError("the audit trail is append-only")


class AuditEntry(AppendOnlyModel):
    """One read or change of data: a plain insert, sealed into its organization's chain later (AuditSeal)."""

    chain = models.BigIntegerField(_("chain"))  # the organization id, 0 for installation-wide events
    at = models.DateTimeField(_("time"))
    organization = models.ForeignKey(
        Organization, on_delete=models.DO_NOTHING, null=True, db_constraint=False, related_name="+"
    )
    actor = models.ForeignKey(
        User,
        on_delete=models.DO_NOTHING,
        null=True,
        db_constraint=False,
        related_name="+",
        verbose_name=_("user"),
    )
    actor_label = models.CharField(_("user"), max_length=150, blank=True)
    actor_role = models.CharField(_("role"), max_length=20, blank=True)
    action = models.CharField(_("action"), max_length=60)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    patient_id = models.BigIntegerField(_("patient"), null=True, blank=True)
    ip = models.CharField(_("IP address"), max_length=45, blank=True)
    request_id = models.CharField(_("request id"), max_length=36, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    objects = AppendOnlyQuerySet["AuditEntry"].as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["organization", "patient_id", "at"], name="audit_by_patient"),
            models.Index(fields=["organization", "actor", "at"], name="audit_by_actor"),
            models.Index(fields=["organization", "at"], name="audit_by_time"),
        ]

    def __str__(self) -> str:
        return f"{self.action} #{self.pk} ({self.actor_label})"


class AuditSeal(AppendOnlyModel):
    """An entry's link in its chain: written by the sealer behind the entry, never by the request."""

    entry = models.OneToOneField(AuditEntry, on_delete=models.PROTECT, related_name="seal")
    chain = models.BigIntegerField()
    seq = models.BigIntegerField()
    prev = models.CharField(max_length=64)
    mac = models.CharField(max_length=64)
    key_id = models.CharField(max_length=32)
    sealed_at = models.DateTimeField()

    objects = AppendOnlyQuerySet["AuditSeal"].as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="audit_seal_unique_seq")]

    def __str__(self) -> str:
        return f"seal {self.chain}/{self.seq}"
