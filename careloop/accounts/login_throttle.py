"""Failed-login counts in the database, for the back-off arithmetic of `throttle`.

A login attempt adds to three counts: its account's, its client network's, and the pair's. The pair and
the network are the strong throttles (their waits grow to `LOGIN_BACKOFF_MAX_SECONDS`); the account's own
count is soft (it waits at most `LOGIN_ACCOUNT_BACKOFF_MAX_SECONDS`), because it holds for everyone: an
attacker who fails on purpose from one network soon waits an hour per try there, and each of those tries
can keep the account itself waiting a few minutes at most.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from django.conf import settings
from django.db.models import Q

from careloop.accounts import throttle
from careloop.accounts.models import LoginThrottle
from careloop.encryption import cipher

Scope = Literal["account_network", "account", "network"]


def policies() -> dict[Scope, throttle.Backoff]:
    first = timedelta(seconds=settings.LOGIN_BACKOFF_SECONDS)
    longest = timedelta(seconds=settings.LOGIN_BACKOFF_MAX_SECONDS)
    return {
        "account_network": throttle.Backoff(settings.LOGIN_MAX_FAILURES, first, longest),
        "account": throttle.Backoff(
            settings.LOGIN_ACCOUNT_MAX_FAILURES,
            first,
            timedelta(seconds=settings.LOGIN_ACCOUNT_BACKOFF_MAX_SECONDS),
        ),
        "network": throttle.Backoff(settings.LOGIN_NETWORK_MAX_FAILURES, first, longest),
    }


def account_key(username: str) -> str:
    """The keyed hash that stands for a typed username in the counts and in the audit trail.

    Keyed with the blind-index key, so whoever holds the key can check whether a given name was tried,
    while the database never holds what was typed: an unknown "username" is often a password typed into
    the wrong box.
    """
    return cipher().blind_index("login-name:" + username.casefold())


@dataclass(frozen=True)
class LoginSubject:
    """Whose counts one login attempt adds to: the username typed and the client's network."""

    account: str
    network: str

    @classmethod
    def of(cls, username: str, address: str) -> "LoginSubject":
        return cls(account=account_key(username), network=throttle.network_of(address))

    def rows(self) -> list[tuple[Scope, str, str]]:
        # Always this order, so that concurrent failures lock the rows in the same order.
        return [
            ("account_network", self.account, self.network),
            ("account", self.account, ""),
            ("network", "", self.network),
        ]


def _count(row: LoginThrottle | None) -> throttle.Count:
    if row is None:
        return throttle.Count()
    return throttle.Count(row.failures, row.last_failure_at, row.blocked_until)


def refused_until(subject: LoginSubject, now: datetime) -> datetime | None:
    """When the last wait on this subject's counts ends, None when nothing is waiting."""
    match = Q()
    for _scope, account, network in subject.rows():
        match |= Q(account=account, network=network)
    return throttle.refused_until([_count(row) for row in LoginThrottle.objects.filter(match)], now)


@dataclass(frozen=True)
class CountedFailure:
    account: throttle.Count  # the account's own count after this failure
    waits_started: list[tuple[Scope, datetime]]  # counts that now wait, and until when


def count_failure(subject: LoginSubject, now: datetime) -> CountedFailure:
    """Adds one checked failure to the subject's three counts; call inside a transaction."""
    rules = policies()
    waits: list[tuple[Scope, datetime]] = []
    account_count = throttle.Count()
    for scope, account, network in subject.rows():
        row = LoginThrottle.objects.select_for_update().filter(account=account, network=network).first()
        if row is None:
            created, _ = LoginThrottle.objects.get_or_create(
                account=account, network=network, defaults={"last_failure_at": now}
            )
            row = LoginThrottle.objects.select_for_update().get(pk=created.pk)
        counted = throttle.after_failure(_count(row), now, rules[scope])
        row.failures, row.last_failure_at, row.blocked_until = (
            counted.failures,
            now,
            counted.blocked_until,
        )
        row.save(update_fields=["failures", "last_failure_at", "blocked_until"])
        if counted.blocked_until is not None:
            waits.append((scope, counted.blocked_until))
        if scope == "account":
            account_count = counted
    _forget_stale(now, max(rule.forget_after for rule in rules.values()))
    return CountedFailure(account_count, waits)


def forget_success(subject: LoginSubject) -> None:
    """A login passed: the account's count and the pair's start again; the network's does not."""
    LoginThrottle.objects.filter(
        Q(account=subject.account, network=subject.network) | Q(account=subject.account, network="")
    ).delete()


def forget_account(username: str) -> None:
    """Every count of this account (its own and with each network), as an administrator's unlock does."""
    LoginThrottle.objects.filter(account=account_key(username)).exclude(account="").delete()


def _forget_stale(now: datetime, forget_after: timedelta) -> None:
    LoginThrottle.objects.filter(last_failure_at__lt=now - forget_after).filter(
        Q(blocked_until__isnull=True) | Q(blocked_until__lt=now)
    ).delete()
