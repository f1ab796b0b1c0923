"""The checks of a login, in order: the password, then the second factor; and the check before a change
of the second factor. Each consults the throttle first and records what happened through the actions.

The client address is the one the audit trail records for the request (`audit.current_context().ip`), so
a throttle and the audit entries about it always name the same client.
"""

from datetime import datetime
from typing import Literal

from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from careloop.accounts import actions, audit, login_throttle
from careloop.accounts.login_throttle import LoginSubject
from careloop.accounts.models import User

SecondFactorOutcome = Literal["totp", "recovery_code", "wrong", "throttled"]
ConfirmOutcome = Literal["confirmed", "wrong", "throttled"]


def subject_for(username: str) -> LoginSubject:
    return LoginSubject.of(username, audit.current_context().ip)


def _waiting_until(subject: LoginSubject, user: User | None) -> datetime | None:
    """When the latest wait on this attempt ends: the subject's counts, and `User.locked_until`."""
    now = timezone.now()
    waits = [login_throttle.refused_until(subject, now), user.locked_until if user is not None else None]
    return max((until for until in waits if until is not None and until > now), default=None)


def check_password(username: str, password: str) -> User | None:
    """The user if the password is right and nothing is waiting; None for every kind of refusal alike.

    Unknown, inactive, throttled and wrong-password attempts give the same answer and cost the same work:
    Django hashes the password for an unknown username too, and a throttled attempt hashes it as well,
    so that neither the answer nor its time tells whether an account exists or is waiting.
    """
    subject = subject_for(username)
    known = User.objects.filter(username=username).first()
    waiting_until = _waiting_until(subject, known)
    if waiting_until is not None:
        make_password(password)  # the cost of the password check this attempt does not get
        actions.do_record_refused_login(subject, known, waiting_until)
        return None
    user = authenticate(username=username, password=password)
    if not isinstance(user, User):
        reason = "unknown_user" if known is None else "password" if known.is_active else "inactive"
        actions.do_record_login_failure(subject, known, reason)
        return None
    return user


def check_second_factor(user: User, typed: str) -> SecondFactorOutcome:
    """The login's second step: a TOTP code or a recovery code, throttled like the password."""
    subject = subject_for(user.username)
    waiting_until = _waiting_until(subject, user)
    if waiting_until is not None:
        actions.do_record_refused_login(subject, user, waiting_until)
        return "throttled"
    used = actions.do_use_second_factor(user, typed, at_login=True)
    if used is not None:
        return used
    if actions.do_record_login_failure(subject, user, "second_factor") is not None:
        return "throttled"
    return "wrong"


def confirm_identity(user: User, password: str, typed: str) -> ConfirmOutcome:
    """Before the second factor is replaced or its recovery codes renewed: the password and a current code
    (or a recovery code), so that a session left open is not enough. Failures count like a login's."""
    subject = subject_for(user.username)
    waiting_until = _waiting_until(subject, user)
    if waiting_until is not None:
        actions.do_record_refused_login(subject, user, waiting_until)
        return "throttled"
    if not user.check_password(password):
        actions.do_record_login_failure(subject, user, "password", action="account.confirm_failed")
        return "wrong"
    if actions.do_use_second_factor(user, typed, at_login=False) is None:
        actions.do_record_login_failure(subject, user, "second_factor", action="account.confirm_failed")
        return "wrong"
    return "confirmed"
