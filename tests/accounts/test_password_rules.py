"""The pure password-policy checks: tables of cases."""

import datetime

import pytest

from careloop.accounts.password_rules import (
    BOUNDS,
    DEFAULT_RULES,
    CharacterClass,
    PasswordRules,
    Shortfall,
    character_classes,
    expired,
    reused,
    shortfalls,
    temporary_password,
)

L, U, D, S = CharacterClass.LOWER, CharacterClass.UPPER, CharacterClass.DIGIT, CharacterClass.SYMBOL


@pytest.mark.parametrize(
    ("password", "classes"),
    [
        ("", set()),
        ("abc", {L}),
        ("ABC", {U}),
        ("123", {D}),
        ("a1", {L, D}),
        ("Aa1-", {L, U, D, S}),
        ("pass word", {L, S}),
        ("护士密码2026", {S, D}),  # Chinese characters count as "other"
        ("٣", {S}),  # a non-ASCII digit is not one of the ten digits people are asked for
        ("Ünïcode", {U, L}),
    ],
)
def test_character_classes(password, classes):
    assert character_classes(password) == classes


RULES = PasswordRules(min_length=12, min_classes=3, history=5, max_age_days=90)


@pytest.mark.parametrize(
    ("password", "found"),
    [
        ("Correct-horse-9", []),
        ("correct-horse-battery-9", []),  # lower, symbol, digit
        ("Short-1a", [Shortfall("length", 12, 8)]),
        ("correcthorsebattery", [Shortfall("classes", 3, 1)]),
        ("correcthorse9battery", [Shortfall("classes", 3, 2)]),
        ("abc", [Shortfall("length", 12, 3), Shortfall("classes", 3, 1)]),
        ("", [Shortfall("length", 12, 0), Shortfall("classes", 3, 0)]),
    ],
)
def test_shortfalls(password, found):
    assert shortfalls(password, RULES) == found


def test_defaults_meet_the_usual_reading_of_dengbao_level_3_and_asvs():
    assert DEFAULT_RULES.min_length >= 12  # ASVS 4.0 V2.1.1
    assert DEFAULT_RULES.min_classes >= 3  # 等保三级: complexity
    assert 0 < DEFAULT_RULES.max_age_days <= 90  # 等保三级: periodic change
    assert DEFAULT_RULES.history >= 5
    for field, (low, high) in BOUNDS.items():
        assert low <= getattr(DEFAULT_RULES, field) <= high


def _same(password: str, stored: str) -> bool:
    return stored == f"hash:{password}"


@pytest.mark.parametrize(
    ("history", "previous", "is_reused"),
    [
        (5, ["hash:new", "hash:a"], True),
        (5, ["hash:a", "hash:b", "hash:c", "hash:d", "hash:new"], True),
        (4, ["hash:a", "hash:b", "hash:c", "hash:d", "hash:new"], False),  # older than the last 4
        (0, ["hash:new"], False),
        (5, [], False),
        (5, ["", "hash:a"], False),
    ],
)
def test_reuse_is_checked_against_the_last_n_hashes(history, previous, is_reused):
    rules = PasswordRules(history=history)
    assert reused("new", previous, rules, _same) is is_reused


NOW = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("age", "max_age_days", "is_expired"),
    [
        (datetime.timedelta(days=89, hours=23), 90, False),
        (datetime.timedelta(days=90), 90, True),
        (datetime.timedelta(days=400), 90, True),
        (datetime.timedelta(days=400), 0, False),  # 0: never
        (datetime.timedelta(0), 1, False),
    ],
)
def test_expiry(age, max_age_days, is_expired):
    assert expired(NOW - age, NOW, PasswordRules(max_age_days=max_age_days)) is is_expired


@pytest.mark.parametrize("min_length", [8, 12, 16, 40])
@pytest.mark.parametrize("min_classes", [1, 4])
def test_a_temporary_password_meets_any_policy(min_length, min_classes):
    rules = PasswordRules(min_length=min_length, min_classes=min_classes)
    passwords = {temporary_password(rules) for _ in range(50)}
    assert len(passwords) == 50
    for password in passwords:
        assert shortfalls(password, rules) == []
        assert len(password) >= 16
        assert character_classes(password) == {L, U, D, S}
        assert not set(password) & set("0O1lI'\" ")
