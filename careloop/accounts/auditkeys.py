"""The audit trail's keys, from settings (the environment): sealing keys and the checkpoint signing key.

Only the processes that seal or verify need them (`careloop worker`, `careloop audit`); the web server writes
entries with plain inserts and holds no audit key.
"""

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from careloop.accounts import auditcheckpoint
from careloop.accounts.auditchain import SealKey, parse_keys


def seal_keys() -> list[SealKey]:
    """Newest first: the first seals, every one verifies the seals it made."""
    keys = parse_keys(settings.AUDIT_KEYS)
    if not keys:
        raise ImproperlyConfigured(
            "CARELOOP_AUDIT_KEYS is not set: the audit trail can be neither sealed nor verified "
            "(see docs/deploy.md)."
        )
    return keys


def keys_by_id() -> dict[str, SealKey]:
    return {key.id: key for key in seal_keys()}


def signing_key() -> Ed25519PrivateKey:
    if not settings.AUDIT_SIGNING_KEY:
        raise ImproperlyConfigured(
            "CARELOOP_AUDIT_SIGNING_KEY is not set: audit checkpoints cannot be signed (see docs/deploy.md)."
        )
    return auditcheckpoint.private_key_from_text(settings.AUDIT_SIGNING_KEY)


def public_keys() -> dict[str, Ed25519PublicKey]:
    """The keys checkpoints may be signed with: the signing key's own and any listed (earlier ones)."""
    keys = [auditcheckpoint.public_key_from_text(text) for text in settings.AUDIT_CHECKPOINT_PUBLIC_KEYS]
    if settings.AUDIT_SIGNING_KEY:
        keys.append(signing_key().public_key())
    return {auditcheckpoint.key_id(key): key for key in keys}
