"""Recovery codes: one-time codes that stand in for the authenticator app when the phone is lost.

Each code is 16 characters of Crockford's base32 (80 random bits), shown as four groups of four. Typing is
forgiving as Crockford intends: case, spaces and hyphens do not matter, `o` reads as 0 and `i`/`l` as 1.

Codes are stored as SHA-256 digests. A slow password hash protects low-entropy secrets that can be guessed
offline; 80 random bits cannot be (2**80 SHA-256 evaluations is far beyond any attacker), so a fast digest
is as safe here and lets a typed code be found with one indexed lookup instead of one slow hash per code.
The user's id is part of the digested text, so equal digests never link two users' codes.
"""

import hashlib
import secrets

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford's base32: no i, l, o, u
LENGTH = 16
GROUP = 4
COUNT = 10
_READS_AS = str.maketrans({"o": "0", "i": "1", "l": "1"})


def new_codes(count: int = COUNT) -> list[str]:
    """`count` fresh codes in their display form, `xxxx-xxxx-xxxx-xxxx`."""
    return [display("".join(secrets.choice(ALPHABET) for _ in range(LENGTH))) for _ in range(count)]


def display(normalized: str) -> str:
    return "-".join(normalized[i : i + GROUP] for i in range(0, len(normalized), GROUP))


def normalize(typed: str) -> str | None:
    """The code as stored for digesting, or None when `typed` cannot be a recovery code."""
    code = "".join(typed.split()).replace("-", "").lower().translate(_READS_AS)
    if len(code) != LENGTH or any(character not in ALPHABET for character in code):
        return None
    return code


def digest(user_id: int, normalized: str) -> str:
    return hashlib.sha256(f"careloop-recovery:{user_id}:{normalized}".encode()).hexdigest()
