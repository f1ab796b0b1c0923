"""An organization's password policy: the checks themselves, with no Django import.

GB/T 22239-2019 (等保 2.0) level 3, 8.1.4.1 a) asks that passwords be complex and changed periodically;
the usual reading is at least three of the four character classes, at least 8 characters, no reuse of the
last few and a change at least every 90 days. OWASP ASVS 4.0 V2.1.1 asks for at least 12 characters. The
defaults meet both; an organization chooses its own within the bounds below.
"""

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class CharacterClass(StrEnum):
    LOWER = "lower"
    UPPER = "upper"
    DIGIT = "digit"
    SYMBOL = "symbol"  # anything else: punctuation, spaces, Chinese characters


@dataclass(frozen=True)
class PasswordRules:
    min_length: int = 12
    min_classes: int = 3
    history: int = 5  # the last N passwords may not be used again (0: no check)
    max_age_days: int = 90  # a change is forced once the password is this old (0: never)


DEFAULT_RULES = PasswordRules()
# The bounds an organization may choose within: (lowest, highest).
BOUNDS = {"min_length": (8, 128), "min_classes": (1, 4), "history": (0, 24), "max_age_days": (0, 365)}
HISTORY_KEPT = BOUNDS["history"][1]


def character_class(char: str) -> CharacterClass:
    if char.isdigit() and char.isascii():
        return CharacterClass.DIGIT
    if char.islower():
        return CharacterClass.LOWER
    if char.isupper():
        return CharacterClass.UPPER
    return CharacterClass.SYMBOL


def character_classes(password: str) -> frozenset[CharacterClass]:
    return frozenset(character_class(char) for char in password)


@dataclass(frozen=True)
class Shortfall:
    """One way a password falls short of the rules: what is needed and what it has."""

    kind: str  # "length" or "classes"
    needed: int
    has: int


def shortfalls(password: str, rules: PasswordRules) -> list[Shortfall]:
    found = []
    if len(password) < rules.min_length:
        found.append(Shortfall("length", rules.min_length, len(password)))
    classes = len(character_classes(password))
    if classes < rules.min_classes:
        found.append(Shortfall("classes", rules.min_classes, classes))
    return found


def reused(
    password: str, previous_hashes: Sequence[str], rules: PasswordRules, matches: Callable[[str, str], bool]
) -> bool:
    """Whether `password` is one of the last `rules.history` passwords (hashes newest first)."""
    return any(matches(password, encoded) for encoded in previous_hashes[: rules.history] if encoded)


def expired(changed_at: datetime, now: datetime, rules: PasswordRules) -> bool:
    return rules.max_age_days > 0 and now - changed_at >= timedelta(days=rules.max_age_days)


# Characters a person reads aloud or copies without confusion: no 0/O, 1/l/I, quotes or spaces.
_ALPHABETS = {
    CharacterClass.LOWER: "abcdefghijkmnpqrstuvwxyz",
    CharacterClass.UPPER: "ABCDEFGHJKLMNPQRSTUVWXYZ",
    CharacterClass.DIGIT: "23456789",
    CharacterClass.SYMBOL: "#%+=?@",
}


def temporary_password(rules: PasswordRules, length: int = 16) -> str:
    """A one-time password that meets any policy: every class at least once, from the OS's random source."""
    length = max(length, rules.min_length)
    chars = [secrets.choice(alphabet) for alphabet in _ALPHABETS.values()]
    everything = "".join(_ALPHABETS.values())
    chars += [secrets.choice(everything) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)
