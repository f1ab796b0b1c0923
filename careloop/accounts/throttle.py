"""Login throttling arithmetic: exponential back-off after failed logins, and the network a client is in.

Failures are counted separately per account, per client network, and per (account, network) pair; each
count has its own `Backoff`. Nothing locks for good: after `max_failures` failures in a row every further
failure makes the count wait `first_wait`, doubling each time up to `max_wait`, and a count is forgotten
after a quiet `forget_after`. Only failures that were actually checked are counted (an attempt refused
because a count was already waiting adds nothing), so waiting out a back-off is the only way on.

The shape follows NIST SP 800-63B §5.2.2 (rate limiting instead of permanent lock-out, limits per
subscriber) and the OWASP Authentication Cheat Sheet (exponential back-off, also per source address).
"""

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from careloop import ipaddresses

# 2**40 times any first wait of a second or more is beyond every sensible cap; stop doubling there so that
# a very long run of failures never overflows the arithmetic.
_MAX_DOUBLINGS = 40

IPV4_NETWORK_PREFIX = 24
IPV6_NETWORK_PREFIX = 64  # one customer's allocation (RFC 6177): a single attacker has a whole /64
UNKNOWN_NETWORK = "unknown"


@dataclass(frozen=True)
class Backoff:
    max_failures: int
    first_wait: timedelta
    max_wait: timedelta
    forget_after: timedelta = timedelta(days=1)


@dataclass(frozen=True)
class Count:
    failures: int = 0
    last_failure_at: datetime | None = None
    blocked_until: datetime | None = None


def is_blocked(count: Count, now: datetime) -> bool:
    return count.blocked_until is not None and count.blocked_until > now


def wait_after(failures: int, policy: Backoff) -> timedelta | None:
    """How long a count waits after its `failures`-th failure in a row; None while failures are free."""
    over = failures - policy.max_failures
    if over < 0:
        return None
    return min(policy.max_wait, policy.first_wait * (1 << min(over, _MAX_DOUBLINGS)))


def after_failure(count: Count, now: datetime, policy: Backoff) -> Count:
    """The count after one more checked failure at `now`."""
    forgotten = count.last_failure_at is None or now - count.last_failure_at >= policy.forget_after
    failures = 1 if forgotten else count.failures + 1
    wait = wait_after(failures, policy)
    return Count(failures=failures, last_failure_at=now, blocked_until=now + wait if wait else None)


def refused_until(counts: list[Count], now: datetime) -> datetime | None:
    """When the latest wait among `counts` ends, or None when none of them is waiting."""
    waiting = [count.blocked_until for count in counts if count.blocked_until and count.blocked_until > now]
    return max(waiting, default=None)


def network_of(address: str) -> str:
    """The /24 (IPv4) or /64 (IPv6) network of a client address, written as a network.

    An IPv4 address mapped into IPv6 (`::ffff:203.0.113.9`) counts as the IPv4 address it is.
    """
    ip = ipaddresses.address(address)
    if ip is None:
        return UNKNOWN_NETWORK
    prefix = IPV4_NETWORK_PREFIX if ip.version == 4 else IPV6_NETWORK_PREFIX
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


# What `careloop check --deploy` calls absurd, and why:
# - more than 20 failures before any wait gives an online guesser 20 free tries per account and network per
#   day; people who mistype need 3 to 5 (NIST SP 800-63B allows at most 100 in all, with waits between);
# - a network count is shared by everyone behind one address (a hospital's NAT), so it may be higher, but
#   past 1000 it no longer stops anything;
# - a longest wait under a second is no throttle at all; one over a day is a lock-out in all but name, and
#   lets whoever fails on purpose keep a real user out;
# - the account's own wait must be the shortest: it holds for everyone, the attacker's own network too, and
#   is the one a person far away can impose on someone else.
MAX_SENSIBLE_FAILURES = 20
MAX_SENSIBLE_NETWORK_FAILURES = 1000
SHORTEST_SENSIBLE_WAIT = timedelta(seconds=1)
LONGEST_SENSIBLE_WAIT = timedelta(days=1)


def policy_problems(pair: Backoff, account: Backoff, network: Backoff) -> list[str]:
    """What is absurd about the three back-off policies, in words an operator can act on (empty: fine)."""
    problems: list[str] = []
    for name, policy, most in (
        ("per account and network", pair, MAX_SENSIBLE_FAILURES),
        ("per account", account, MAX_SENSIBLE_FAILURES),
        ("per network", network, MAX_SENSIBLE_NETWORK_FAILURES),
    ):
        if not 1 <= policy.max_failures <= most:
            problems.append(
                f"failures allowed {name} before a wait is {policy.max_failures}; use 1 to {most}"
            )
    for name, policy in (("first", pair), ("longest", pair), ("longest per-account", account)):
        wait = policy.first_wait if name == "first" else policy.max_wait
        if not SHORTEST_SENSIBLE_WAIT <= wait <= LONGEST_SENSIBLE_WAIT:
            problems.append(f"the {name} wait is {_seconds(wait)}; use 1 second to 1 day")
    if pair.first_wait > pair.max_wait:
        problems.append(
            f"the first wait ({_seconds(pair.first_wait)}) is longer "
            f"than the longest ({_seconds(pair.max_wait)})"
        )
    if account.max_wait > pair.max_wait:
        problems.append(
            f"the longest per-account wait ({_seconds(account.max_wait)}) is longer than the longest wait "
            f"per account and network ({_seconds(pair.max_wait)}): anyone could keep an account locked"
        )
    return problems


def _seconds(wait: timedelta) -> str:
    return f"{wait.total_seconds():g} s"
