"""Field-level encryption and keyed blind indexes for identifiers at rest.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256). Several keys may be configured: the first
encrypts, all decrypt, so keys rotate without downtime (`careloop rotate-keys` re-encrypts old rows).
A blind index is an HMAC-SHA256 of the normalized value under a separate key: equal values give equal
indexes, so exact search works without decrypting, and the index key never changes with a rotation.
"""

import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

PREFIX = "enc1:"
UNDECRYPTABLE_TEXT = "[cannot be decrypted]"


class Undecryptable(str):
    """A stored value that no configured key opens (a removed key, a corrupt token).

    It reads as a fixed marker, never as the ciphertext, so that one bad value shows as such instead of
    failing every page that lists its row; `stored` keeps the ciphertext, so that saving the row writes
    back exactly what was there rather than the marker.
    """

    stored: str

    def __new__(cls, stored: str) -> "Undecryptable":
        value = super().__new__(cls, UNDECRYPTABLE_TEXT)
        value.stored = stored
        return value

    def __getnewargs__(self) -> tuple[str]:  # copies and pickles keep the ciphertext
        return (self.stored,)


class FieldCipher:
    def __init__(self, field_keys: list[str], index_key: str):
        if not field_keys:
            raise ValueError("at least one field key is required")
        self._fernet = MultiFernet([Fernet(key.encode()) for key in field_keys])
        self._primary = Fernet(field_keys[0].encode())
        self._index_key = index_key.encode()

    def encrypt(self, plaintext: str) -> str:
        if plaintext == "":
            return ""
        return PREFIX + self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, stored: str) -> str:
        if not stored:
            return ""
        if not stored.startswith(PREFIX):
            raise ValueError("value is not an encrypted field")
        try:
            return self._fernet.decrypt(stored[len(PREFIX) :].encode()).decode()
        except InvalidToken:
            raise ValueError("no configured field key decrypts this value") from None

    def read(self, stored: str) -> str:
        """The plain text, or an `Undecryptable` marker where `decrypt` would raise."""
        try:
            return self.decrypt(stored)
        except (ValueError, UnicodeDecodeError):
            return Undecryptable(stored)

    def needs_rotation(self, stored: str) -> bool:
        """True when the value was not encrypted with the current primary key."""
        if not stored:
            return False
        try:
            self._primary.decrypt(stored[len(PREFIX) :].encode())
        except InvalidToken:
            return True
        return False

    def rotate(self, stored: str) -> str:
        """The same value encrypted under the primary key; ValueError when no configured key decrypts it."""
        if not stored:
            return ""
        if not stored.startswith(PREFIX):
            raise ValueError("value is not an encrypted field")
        try:
            return PREFIX + self._fernet.rotate(stored[len(PREFIX) :].encode()).decode()
        except InvalidToken:
            raise ValueError("no configured field key decrypts this value") from None

    def blind_index(self, normalized: str) -> str:
        if normalized == "":
            return ""
        return hmac.new(self._index_key, normalized.encode(), hashlib.sha256).hexdigest()[:40]
