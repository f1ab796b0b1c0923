"""Login security state: failed-login counts for throttling, and recovery codes for the second factor.

Imported by `careloop.accounts.models`, so these are models of the accounts app like the others.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LoginThrottle(models.Model):
    """Failed logins in a row for one account, one client network, or one (account, network) pair.

    An account is named by the keyed hash of the username typed (`login_throttle.account_key`), known or
    not, so that unknown usernames are throttled exactly like real ones and no username is stored.
    """

    account = models.CharField(max_length=40, blank=True)  # "" for a network's own count
    network = models.CharField(max_length=50, blank=True)  # "" for an account's own count
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField()
    blocked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("failed-login count")
        verbose_name_plural = _("failed-login counts")
        constraints = [
            models.UniqueConstraint(fields=["account", "network"], name="login_throttle_unique_subject")
        ]
        indexes = [models.Index(fields=["last_failure_at"], name="login_throttle_by_age")]

    def __str__(self) -> str:
        return f"{self.account or '*'} @ {self.network or '*'}: {self.failures}"


class RecoveryCode(models.Model):
    """One one-time recovery code of a user, stored as a digest (see `recoverycodes`)."""

    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="recovery_codes", verbose_name=_("user")
    )
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")
        constraints = [models.UniqueConstraint(fields=["user", "digest"], name="recovery_code_unique")]

    def __str__(self) -> str:
        return f"recovery code of user {self.user_id}"
