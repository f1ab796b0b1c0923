"""Login lockout arithmetic: how many failures lock an account, and for how long."""

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int
    lockout: timedelta


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    return locked_until is not None and locked_until > now


def after_failure(failures_before: int, now: datetime, policy: LockoutPolicy) -> tuple[int, datetime | None]:
    """The failure count and lock expiry after one more failed attempt."""
    failures = failures_before + 1
    if failures >= policy.max_failures:
        return 0, now + policy.lockout
    return failures, None
