"""The project's field cipher, built once from settings, and the model field that uses it."""

import logging
from collections.abc import Callable
from functools import cache
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.expressions import Combinable
from django.utils.translation import gettext

from careloop.fieldcrypto import FieldCipher, Undecryptable

logger = logging.getLogger(__name__)


@cache
def cipher() -> FieldCipher:
    return FieldCipher(settings.FIELD_KEYS, settings.INDEX_KEY)


def shown(value: str, mask: Callable[[str], str]) -> str:
    """How a decrypted identifier is shown: masked, or the words for one that cannot be decrypted."""
    if isinstance(value, Undecryptable):
        return gettext("cannot be decrypted")
    return mask(value)


class EncryptedTextField(models.TextField[str | Combinable, str]):
    """Stored as Fernet ciphertext; read back as plain text. Not searchable: pair it with a blind index.

    A value no configured key opens reads as an `Undecryptable` marker (and a warning without the value)
    instead of an exception, and saving it writes the stored ciphertext back unchanged.
    """

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str:
        if value is None or value == "":
            return value or ""
        plain = cipher().read(value)
        if isinstance(plain, Undecryptable):
            logger.warning(
                "A stored %s.%s could not be decrypted with any configured key (CARELOOP_FIELD_KEYS); "
                "it is shown as undecryptable and kept as stored.",
                self.model._meta.label if hasattr(self, "model") else "?",
                self.name,
            )
        return plain

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, Undecryptable):
            return value.stored
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return cipher().encrypt(value)
