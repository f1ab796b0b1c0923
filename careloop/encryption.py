"""The project's field cipher, built once from settings, and the model field that uses it."""

from functools import cache
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.expressions import Combinable

from careloop.fieldcrypto import FieldCipher


@cache
def cipher() -> FieldCipher:
    return FieldCipher(settings.FIELD_KEYS, settings.INDEX_KEY)


class EncryptedTextField(models.TextField[str | Combinable, str]):
    """Stored as Fernet ciphertext; read back as plain text. Not searchable: pair it with a blind index."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str:
        if value is None or value == "":
            return value or ""
        return cipher().decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return cipher().encrypt(value)
