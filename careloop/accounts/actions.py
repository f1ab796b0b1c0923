"""State changes of staff accounts; each writes its audit entry in the same transaction."""

from datetime import timedelta

import pyotp
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from careloop.accounts import audit
from careloop.accounts.lockout import LockoutPolicy, after_failure
from careloop.accounts.models import User


def lockout_policy() -> LockoutPolicy:
    return LockoutPolicy(settings.LOGIN_MAX_FAILURES, timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES))


@transaction.atomic
def do_record_login_failure(user: User, reason: str) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    failures, locked_until = after_failure(user.failed_logins, timezone.now(), lockout_policy())
    user.failed_logins = failures
    if locked_until:
        user.locked_until = locked_until
    user.save(update_fields=["failed_logins", "locked_until"])
    audit.record(
        "login.failed", organization_id=user.organization_id, obj=user, actor=user, detail={"reason": reason}
    )
    if locked_until:
        audit.record(
            "login.locked",
            organization_id=user.organization_id,
            obj=user,
            actor=user,
            detail={"until": locked_until.isoformat()},
        )
    return user


@transaction.atomic
def do_record_login_success(user: User) -> None:
    User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None, last_login=timezone.now())
    audit.record("login", organization_id=user.organization_id, obj=user, actor=user)


def do_record_logout(user: User) -> None:
    audit.record("logout", organization_id=user.organization_id, obj=user, actor=user)


@transaction.atomic
def do_enable_totp(user: User, secret: str) -> None:
    user.totp_secret = secret
    user.totp_confirmed = True
    user.save(update_fields=["totp_secret", "totp_confirmed"])
    audit.record("account.totp_enabled", organization_id=user.organization_id, obj=user, actor=user)


@transaction.atomic
def do_unlock(user: User, by: User) -> None:
    User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
    audit.record("account.unlocked", organization_id=user.organization_id, obj=user, actor=by)


def totp_matches(secret: str, code: str) -> bool:
    code = code.strip().replace(" ", "")
    return bool(secret) and code.isdigit() and pyotp.TOTP(secret).verify(code, valid_window=1)
