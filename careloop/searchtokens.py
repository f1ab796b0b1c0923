"""Searches kept on the server under an opaque token, so that what was typed never reaches a URL.

A search is posted; its criteria (the form's input, as text) are kept in the user's session under a
random token, encrypted like a stored identifier, and the result pages, the browser history and the
access logs see only `?s=<token>&page=N`. The store is any mutable mapping (the session in the web app):
the tokens are bound to one login and die with it. Criteria no configured key opens any more (keys
rotated since) read as unknown, as a dropped token does.
"""

import json
import secrets
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

from careloop.fieldcrypto import FieldCipher, Undecryptable

SESSION_KEY = "patient_searches"
KEEP = 10  # the newest searches a session keeps; an older token then reads as expired


def criteria(data: Mapping[str, Any], fields: Iterable[str]) -> dict[str, str]:
    """What is kept of a valid posted form: each field's input as typed (`form.data`, `form.fields`)."""
    return {name: str(data.get(name) or "") for name in fields}


def remember(
    store: MutableMapping[str, Any], criteria: Mapping[str, str], cipher: FieldCipher, key: str = SESSION_KEY
) -> str:
    """A new token for these criteria; the oldest searches beyond `KEEP` are forgotten.

    `key` keeps one page's searches apart from another's (the patient list, the audit page)."""
    kept: dict[str, Any] = dict(store.get(key) or {})
    token = secrets.token_urlsafe(12)
    kept[token] = cipher.encrypt(json.dumps(dict(criteria)))
    while len(kept) > KEEP:
        kept.pop(next(iter(kept)))
    # A new dict, assigned: a session notices an assignment, not a change inside a value it holds.
    store[key] = kept
    return token


def recall(
    store: Mapping[str, Any], token: str, cipher: FieldCipher, key: str = SESSION_KEY
) -> dict[str, str] | None:
    """The criteria kept under `token`, or None when it is unknown, dropped or no longer readable."""
    saved = (store.get(key) or {}).get(token)
    if not isinstance(saved, str):
        return None
    text = cipher.read(saved)
    if isinstance(text, Undecryptable):
        return None
    criteria = json.loads(text)
    return criteria if isinstance(criteria, dict) else None
