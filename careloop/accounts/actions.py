"""State changes of staff accounts; each writes its audit entry in the same transaction."""

from datetime import datetime
from typing import Literal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from careloop.accounts import audit, login_throttle, recoverycodes, totp
from careloop.accounts.login_throttle import LoginSubject
from careloop.accounts.models import RecoveryCode, User

SecondFactor = Literal["totp", "recovery_code"]

_SMALLINT_MAX = 32767  # User.failed_logins is a PositiveSmallIntegerField


@transaction.atomic
def do_record_login_failure(
    subject: LoginSubject, user: User | None, reason: str, *, action: str = "login.failed"
) -> datetime | None:
    """Counts one checked failure (a wrong password or code) and audits it; returns when a wait ends.

    An unknown username goes to the installation's chain under its keyed hash (`login_throttle.account_key`),
    never as typed. A known account's own count is mirrored into `User.locked_until` and `failed_logins`.
    """
    now = timezone.now()
    counted = login_throttle.count_failure(subject, now)
    if user is not None:
        User.objects.filter(pk=user.pk).update(
            failed_logins=min(counted.account.failures, _SMALLINT_MAX),
            locked_until=counted.account.blocked_until,
        )
    _audit_attempt(action, subject, user, {"reason": reason})
    for scope, until in counted.waits_started:
        detail = {"scope": scope, "until": until.isoformat()}
        if scope != "account":
            detail["network"] = subject.network
        _audit_attempt("login.throttled", subject, user, detail)
    return max((until for _scope, until in counted.waits_started), default=None)


@transaction.atomic
def do_record_refused_login(subject: LoginSubject, user: User | None, until: datetime) -> None:
    """An attempt refused unchecked because a count is waiting: audited, and not counted again."""
    _audit_attempt("login.failed", subject, user, {"reason": "throttled", "until": until.isoformat()})


def _audit_attempt(action: str, subject: LoginSubject, user: User | None, detail: dict[str, str]) -> None:
    if user is None:
        detail = {**detail, "username_key": subject.account}
    organization_id = user.organization_id if user is not None else None
    audit.record(action, organization_id=organization_id, obj=user, actor=user, detail=detail)


@transaction.atomic
def do_record_login_success(user: User, subject: LoginSubject, second_factor: SecondFactor | None) -> None:
    login_throttle.forget_success(subject)
    User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None, last_login=timezone.now())
    detail = {"second_factor": second_factor} if second_factor else None
    audit.record("login", organization_id=user.organization_id, obj=user, actor=user, detail=detail)


def do_record_logout(user: User) -> None:
    audit.record("logout", organization_id=user.organization_id, obj=user, actor=user)


@transaction.atomic
def do_use_second_factor(user: User, typed: str, *, at_login: bool) -> SecondFactor | None:
    """Accepts a TOTP code or a recovery code once, or returns None (nothing is recorded then).

    The user's row is locked, so two requests with the same code cannot both pass.
    """
    locked = User.objects.select_for_update().get(pk=user.pk)
    now = timezone.now()
    step = totp.accepted_step(locked.totp_secret, typed, now.timestamp(), locked.totp_last_step)
    if step is not None:
        # Compare-and-set as well as the row lock: the step is taken only if it is still newer.
        newer = Q(totp_last_step__isnull=True) | Q(totp_last_step__lt=step)
        if not User.objects.filter(newer, pk=user.pk).update(totp_last_step=step):
            return None
        user.totp_last_step = step
        return "totp"
    normalized = recoverycodes.normalize(typed)
    if normalized is None or not locked.totp_confirmed:
        return None
    used = RecoveryCode.objects.filter(
        user=locked, digest=recoverycodes.digest(locked.pk, normalized), used_at__isnull=True
    ).update(used_at=now)
    if not used:
        return None
    audit.record(
        "login.recovery_code_used" if at_login else "account.recovery_code_used",
        organization_id=user.organization_id,
        obj=user,
        actor=user,
        detail={"left": unused_recovery_codes(user)},
    )
    return "recovery_code"


def unused_recovery_codes(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def _replace_recovery_codes(user: User) -> list[str]:
    codes = recoverycodes.new_codes()
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, digest=recoverycodes.digest(user.pk, recoverycodes.normalize(code) or ""))
        for code in codes
    )
    return codes


@transaction.atomic
def do_enable_totp(user: User, secret: str, confirmed_step: int) -> list[str]:
    """Turns the second factor on with `secret` (or replaces the one that was on); returns new recovery codes.

    `confirmed_step` is the time step of the code the user typed to prove the app works: it is used up.
    """
    replacing = User.objects.select_for_update().get(pk=user.pk).totp_confirmed
    user.totp_secret = secret
    user.totp_confirmed = True
    user.totp_enabled_at = timezone.now()
    user.totp_last_step = confirmed_step
    user.save(update_fields=["totp_secret", "totp_confirmed", "totp_enabled_at", "totp_last_step"])
    codes = _replace_recovery_codes(user)
    audit.record(
        "account.totp_replaced" if replacing else "account.totp_enabled",
        organization_id=user.organization_id,
        obj=user,
        actor=user,
        detail={"recovery_codes": len(codes)},
    )
    return codes


@transaction.atomic
def do_regenerate_recovery_codes(user: User) -> list[str]:
    """New recovery codes for `user`; the old ones, used or not, stop working."""
    User.objects.select_for_update().get(pk=user.pk)
    codes = _replace_recovery_codes(user)
    audit.record(
        "account.recovery_codes_regenerated",
        organization_id=user.organization_id,
        obj=user,
        actor=user,
        detail={"recovery_codes": len(codes)},
    )
    return codes


@transaction.atomic
def do_unlock(user: User, by: User) -> None:
    """Lets the account log in again at once: its own wait and its waits from every network end."""
    User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
    login_throttle.forget_account(user.username)
    audit.record("account.unlocked", organization_id=user.organization_id, obj=user, actor=by)
