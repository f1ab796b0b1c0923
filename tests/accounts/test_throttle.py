"""The back-off arithmetic (careloop/accounts/throttle.py), table by table."""

from datetime import UTC, datetime, timedelta

import pytest

from careloop.accounts.throttle import (
    Backoff,
    Count,
    after_failure,
    is_blocked,
    network_of,
    policy_problems,
    refused_until,
    wait_after,
)

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
S = timedelta(seconds=1)
POLICY = Backoff(max_failures=5, first_wait=30 * S, max_wait=3600 * S)


@pytest.mark.parametrize(
    ("failures", "wait"),
    [
        (0, None),
        (1, None),
        (4, None),
        (5, 30 * S),  # the max_failures-th failure starts the first wait
        (6, 60 * S),
        (7, 120 * S),
        (10, 960 * S),
        (11, 1920 * S),
        (12, 3600 * S),  # 3840 s, capped
        (13, 3600 * S),
        (10_000_000, 3600 * S),  # no overflow however long the run
    ],
)
def test_wait_after_doubles_from_the_first_wait_up_to_the_cap(failures, wait):
    assert wait_after(failures, POLICY) == wait


@pytest.mark.parametrize(
    ("policy", "failures", "wait"),
    [
        (Backoff(1, 2 * S, 10 * S), 1, 2 * S),  # every failure waits
        (Backoff(1, 2 * S, 10 * S), 3, 8 * S),
        (Backoff(1, 2 * S, 10 * S), 4, 10 * S),
        (Backoff(3, 60 * S, 30 * S), 3, 30 * S),  # a cap under the first wait wins
    ],
)
def test_wait_after_other_policies(policy, failures, wait):
    assert wait_after(failures, policy) == wait


@pytest.mark.parametrize(
    ("before", "now", "after"),
    [
        (Count(), NOW, Count(1, NOW, None)),
        (Count(3, NOW - 10 * S, None), NOW, Count(4, NOW, None)),
        (Count(4, NOW - 10 * S, None), NOW, Count(5, NOW, NOW + 30 * S)),
        (Count(5, NOW - 40 * S, NOW - 10 * S), NOW, Count(6, NOW, NOW + 60 * S)),
        # a quiet day: the run of failures starts again
        (Count(9, NOW - timedelta(days=1), NOW - timedelta(hours=23)), NOW, Count(1, NOW, None)),
        (Count(9, NOW - timedelta(hours=23), None), NOW, Count(10, NOW, NOW + 960 * S)),
    ],
)
def test_after_failure(before, now, after):
    assert after_failure(before, now, POLICY) == after


@pytest.mark.parametrize(
    ("count", "blocked"),
    [
        (Count(), False),
        (Count(5, NOW, NOW + S), True),
        (Count(5, NOW, NOW), False),  # a wait ends at its instant
        (Count(5, NOW, NOW - S), False),
    ],
)
def test_is_blocked(count, blocked):
    assert is_blocked(count, NOW) is blocked


@pytest.mark.parametrize(
    ("counts", "until"),
    [
        ([], None),
        ([Count(1, NOW, None)], None),
        ([Count(5, NOW, NOW - S), Count(5, NOW, NOW + 30 * S)], NOW + 30 * S),
        ([Count(5, NOW, NOW + 60 * S), Count(5, NOW, NOW + 30 * S)], NOW + 60 * S),
    ],
)
def test_refused_until_is_the_latest_wait(counts, until):
    assert refused_until(counts, NOW) == until


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("203.0.113.7", "203.0.113.0/24"),
        ("203.0.113.255", "203.0.113.0/24"),
        ("10.1.2.3", "10.1.2.0/24"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::ffff", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("::ffff:203.0.113.9", "203.0.113.0/24"),  # IPv4 mapped into IPv6 is the IPv4 address
        ("::1", "::/64"),
        (" 198.51.100.4 ", "198.51.100.0/24"),
        ("", "unknown"),
        ("<script>x</script>", "unknown"),
        ("203.0.113.7, 10.0.0.1", "unknown"),
    ],
)
def test_network_of(address, network):
    assert network_of(address) == network


DEFAULTS = (Backoff(5, 30 * S, 3600 * S), Backoff(10, 30 * S, 300 * S), Backoff(100, 30 * S, 3600 * S))


def with_changes(pair=None, account=None, network=None):
    return (pair or DEFAULTS[0], account or DEFAULTS[1], network or DEFAULTS[2])


@pytest.mark.parametrize(
    ("policies", "problem"),
    [
        (DEFAULTS, None),
        (with_changes(pair=Backoff(20, 30 * S, 3600 * S)), None),
        (with_changes(pair=Backoff(21, 30 * S, 3600 * S)), "per account and network before a wait is 21"),
        (with_changes(pair=Backoff(0, 30 * S, 3600 * S)), "per account and network before a wait is 0"),
        (with_changes(account=Backoff(25, 30 * S, 300 * S)), "per account before a wait is 25"),
        (with_changes(network=Backoff(1000, 30 * S, 3600 * S)), None),
        (with_changes(network=Backoff(5000, 30 * S, 3600 * S)), "per network before a wait is 5000"),
        (with_changes(pair=Backoff(5, 0 * S, 3600 * S)), "the first wait is 0 s"),
        (
            with_changes(pair=Backoff(5, S / 2, S / 2), account=Backoff(10, S / 2, S / 2)),
            "longest wait is 0.5 s",
        ),
        (with_changes(pair=Backoff(5, 30 * S, timedelta(days=2))), "longest wait is 172800 s"),
        (with_changes(pair=Backoff(5, 30 * S, timedelta(days=1))), None),
        (with_changes(pair=Backoff(5, 7200 * S, 3600 * S)), "first wait (7200 s) is longer than the longest"),
        (with_changes(account=Backoff(10, 30 * S, 7200 * S)), "anyone could keep an account locked"),
        (with_changes(account=Backoff(10, 30 * S, 0 * S)), "longest per-account wait is 0 s"),
    ],
)
def test_policy_problems_name_what_is_absurd(policies, problem):
    problems = policy_problems(*policies)
    if problem is None:
        assert problems == []
    else:
        assert any(problem in found for found in problems), problems
