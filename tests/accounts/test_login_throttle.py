"""Login throttling: exponential back-off per account, per client network and per pair, never a permanent
lock; the same answer for unknown, wrong and throttled attempts; every failure audited."""

import datetime

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from careloop.accounts import actions
from careloop.accounts.login_throttle import account_key
from careloop.accounts.models import AuditEntry, LoginThrottle, User
from tests.factories import PASSWORD, make_user

ATTACKER = "203.0.113.7"
ATTACKER_NEIGHBOUR = "203.0.113.200"  # same /24
REAL_USER = "198.51.100.20"


@pytest.fixture
def limits(settings):
    # Passwords set from here on are hashed fast (these tests make hundreds of attempts); Argon2 hashes made
    # before still verify. The hashing cost itself is what test_every_refusal_costs_one_password_hash checks.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]
    settings.LOGIN_MAX_FAILURES = 3
    settings.LOGIN_ACCOUNT_MAX_FAILURES = 6
    settings.LOGIN_NETWORK_MAX_FAILURES = 20
    settings.LOGIN_BACKOFF_SECONDS = 30
    settings.LOGIN_BACKOFF_MAX_SECONDS = 3600
    settings.LOGIN_ACCOUNT_BACKOFF_MAX_SECONDS = 300
    return settings


def attempt(username: str, password: str, address: str = ATTACKER):
    client = Client(headers={"Accept-Language": "en"}, REMOTE_ADDR=address)
    response = client.post(reverse("accounts:login"), {"username": username, "password": password})
    return client, response


def logged_in(client) -> bool:
    return SESSION_KEY in client.session


def error_text(response) -> str:
    html = str(response.content.decode())
    start = html.index('id="login-error">') + len('id="login-error">')
    return html[start : html.index("</div>", start)]


def let_waits_pass() -> None:
    """What the clock would do: every wait now over (the counts themselves are kept)."""
    LoginThrottle.objects.update(blocked_until=timezone.now() - datetime.timedelta(seconds=1))
    User.objects.update(locked_until=None)


@pytest.mark.django_db
def test_one_address_cannot_keep_a_known_account_locked(limits, nurse):
    for n in range(50):
        attempt(nurse.username, f"guess-{n}", ATTACKER)
    # Only the first LOGIN_MAX_FAILURES were checked; the rest were refused unchecked and counted nothing.
    assert LoginThrottle.objects.get(account=account_key(nurse.username), network="").failures == 3
    client, response = attempt(nurse.username, PASSWORD, REAL_USER)
    assert response.status_code == 302 and logged_in(client)


@pytest.mark.django_db
def test_the_account_wait_alone_is_short_however_many_networks_fail(limits, nurse):
    for n in range(40):
        let_waits_pass()
        attempt(nurse.username, "wrong", f"192.0.{n}.2" if n < 20 else f"2001:db8:{n}::1")
    nurse.refresh_from_db()
    assert nurse.failed_logins == 40
    assert timezone.now() < nurse.locked_until <= timezone.now() + datetime.timedelta(seconds=300)
    client, _response = attempt(nurse.username, PASSWORD, REAL_USER)
    assert not logged_in(client)  # it does wait, for everyone ...
    let_waits_pass()
    client, _response = attempt(nurse.username, PASSWORD, REAL_USER)
    assert logged_in(client)  # ... and only that long


@pytest.mark.django_db
def test_many_accounts_from_one_network_throttle_the_network(limits, org):
    users = [make_user(org, "nurse") for _ in range(7)]
    for user in users:
        for n in range(2):  # under each account's and each pair's limit
            attempt(user.username, f"wrong-{n}", ATTACKER)
    for n in range(14):
        attempt(f"no-such-user-{n}", "wrong", ATTACKER_NEIGHBOUR)
    client, _response = attempt(users[0].username, PASSWORD, ATTACKER)
    assert not logged_in(client)
    assert AuditEntry.objects.filter(action="login.throttled", detail__scope="network").exists()
    client, _response = attempt(users[0].username, PASSWORD, REAL_USER)
    assert logged_in(client)


@pytest.mark.django_db
def test_back_off_doubles_after_each_wait_and_is_capped(limits, nurse):
    waits = []
    for _ in range(12):
        let_waits_pass()
        attempt(nurse.username, "wrong", ATTACKER)
        row = LoginThrottle.objects.get(account=account_key(nurse.username), network="203.0.113.0/24")
        waits.append(
            round((row.blocked_until - row.last_failure_at).total_seconds()) if row.blocked_until else 0
        )
    assert waits == [0, 0, 30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]


@pytest.mark.django_db
def test_a_wait_ends_by_itself(limits, nurse):
    for _ in range(3):
        attempt(nurse.username, "wrong", ATTACKER)
    client, _response = attempt(nurse.username, PASSWORD, ATTACKER)
    assert not logged_in(client)
    let_waits_pass()
    client, _response = attempt(nurse.username, PASSWORD, ATTACKER)
    assert logged_in(client)


@pytest.mark.django_db
def test_success_starts_the_account_and_pair_counts_again_but_not_the_network(limits, nurse):
    attempt(nurse.username, "wrong", ATTACKER)
    attempt(nurse.username, "wrong", ATTACKER)
    attempt(nurse.username, PASSWORD, ATTACKER)
    assert set(LoginThrottle.objects.values_list("account", "network")) == {("", "203.0.113.0/24")}
    attempt(nurse.username, "wrong", ATTACKER)
    nurse.refresh_from_db()
    assert (nurse.failed_logins, nurse.locked_until) == (1, None)


@pytest.mark.django_db
def test_unlock_ends_every_wait_of_the_account(limits, nurse, admin_user):
    for n in range(6):
        attempt(nurse.username, "wrong", f"192.0.{n}.2")
    nurse.refresh_from_db()
    assert nurse.locked_until is not None
    actions.do_unlock(nurse, admin_user)
    nurse.refresh_from_db()
    assert (nurse.failed_logins, nurse.locked_until) == (0, None)
    assert not LoginThrottle.objects.filter(account=account_key(nurse.username)).exists()
    client, _response = attempt(nurse.username, PASSWORD, REAL_USER)
    assert logged_in(client)
    assert AuditEntry.objects.filter(action="account.unlocked", actor=admin_user).exists()


@pytest.mark.django_db
def test_locked_until_set_by_hand_is_honoured(nurse):
    User.objects.filter(pk=nurse.pk).update(locked_until=timezone.now() + datetime.timedelta(minutes=5))
    client, _response = attempt(nurse.username, PASSWORD, REAL_USER)
    assert not logged_in(client)


@pytest.mark.django_db
def test_unknown_wrong_and_throttled_attempts_get_the_same_answer(limits, nurse):
    _, unknown = attempt("nobody-here", "whatever", REAL_USER)
    _, wrong = attempt(nurse.username, "not-the-password", REAL_USER)
    for _ in range(3):
        attempt(nurse.username, "wrong", ATTACKER)
    _, throttled_right_password = attempt(nurse.username, PASSWORD, ATTACKER)
    for _ in range(3):
        attempt("ghost", "wrong", ATTACKER)
    _, throttled_unknown = attempt("ghost", "wrong", ATTACKER)
    answers = [unknown, wrong, throttled_right_password, throttled_unknown]
    assert {response.status_code for response in answers} == {200}
    assert len({error_text(response) for response in answers}) == 1
    assert "Wrong username or password" in error_text(unknown)


class CountingHasher(Argon2PasswordHasher):
    """Argon2 as configured, counting how many times a password is hashed (to encode or to verify)."""

    calls = 0

    def encode(self, password, salt):
        CountingHasher.calls += 1
        return super().encode(password, salt)

    def verify(self, password, encoded):
        CountingHasher.calls += 1
        return super().verify(password, encoded)


@pytest.mark.django_db
def test_every_refusal_costs_one_password_hash_so_timing_tells_nothing(limits, settings, org):
    # Argon2, counted (hashers are told apart by their algorithm name; the last of a name wins).
    settings.PASSWORD_HASHERS = [
        f"{__name__}.CountingHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    nurse = make_user(org, "nurse")  # hashed with the counting hasher
    inactive = make_user(org, "nurse", is_active=False)
    for _ in range(3):
        attempt("ghost", "wrong", ATTACKER)
    costs = {}
    for case, username, password in [
        ("unknown", "nobody", "x"),
        ("wrong password", nurse.username, "wrong"),
        ("inactive", inactive.username, PASSWORD),
        ("throttled", "ghost", "x"),
    ]:
        CountingHasher.calls = 0
        attempt(username, password, ATTACKER if case == "throttled" else REAL_USER)
        costs[case] = CountingHasher.calls
    assert costs == {"unknown": 1, "wrong password": 1, "inactive": 1, "throttled": 1}


@pytest.mark.django_db
def test_failures_are_audited_unknown_usernames_under_a_keyed_hash_only(limits, nurse):
    typed = "Pa55word-typed-in-the-wrong-box"
    attempt(typed, "x", ATTACKER)
    attempt(nurse.username, "wrong", ATTACKER)
    unknown = AuditEntry.objects.get(action="login.failed", actor=None)
    assert (unknown.chain, unknown.organization_id, unknown.ip) == (0, None, ATTACKER)
    assert unknown.detail == {"reason": "unknown_user", "username_key": account_key(typed)}
    assert account_key(typed) == account_key(typed.upper())  # the same name whatever its case
    for entry in AuditEntry.objects.all():
        assert typed.lower() not in str(entry.detail).lower() and typed not in entry.actor_label
    assert not LoginThrottle.objects.filter(account__icontains="wrong-box").exists()
    known = AuditEntry.objects.get(action="login.failed", actor=nurse)
    assert (known.organization_id, known.detail) == (nurse.organization_id, {"reason": "password"})


@pytest.mark.django_db
def test_throttled_attempts_are_audited_and_not_counted(limits, nurse):
    for _ in range(3):
        attempt(nurse.username, "wrong", ATTACKER)
    started = AuditEntry.objects.get(action="login.throttled", actor=nurse)
    assert started.detail["scope"] == "account_network" and started.detail["network"] == "203.0.113.0/24"
    attempt(nurse.username, PASSWORD, ATTACKER)
    refused = AuditEntry.objects.filter(action="login.failed", actor=nurse).order_by("-id").first()
    assert refused is not None and refused.detail["reason"] == "throttled"
    nurse.refresh_from_db()
    assert nurse.failed_logins == 3


@pytest.mark.django_db
def test_stale_counts_are_forgotten(limits, nurse):
    attempt(nurse.username, "wrong", ATTACKER)
    LoginThrottle.objects.update(last_failure_at=timezone.now() - datetime.timedelta(days=2))
    attempt("someone-else", "wrong", REAL_USER)  # any counted failure clears what is stale
    assert not LoginThrottle.objects.filter(account=account_key(nurse.username)).exists()
