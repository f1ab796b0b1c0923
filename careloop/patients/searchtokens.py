"""Searches kept on the server under an opaque token, so that what was typed never reaches a URL.

A patient search is posted; its criteria are kept in the user's session under a random token, and the
result pages, the browser history and the access logs see only `?s=<token>&page=N`. The store is any
mutable mapping (the session in the web app): the tokens are bound to one login and die with it.
"""

import secrets
from collections.abc import Mapping, MutableMapping
from typing import Any

SESSION_KEY = "patient_searches"
KEEP = 10  # the newest searches a session keeps; an older token then reads as expired


def remember(store: MutableMapping[str, Any], criteria: Mapping[str, Any], key: str = SESSION_KEY) -> str:
    """A new token for these criteria; the oldest searches beyond `KEEP` are forgotten.

    `key` keeps one page's searches apart from another's (the patient list, the audit page)."""
    kept: dict[str, Any] = dict(store.get(key) or {})
    token = secrets.token_urlsafe(12)
    kept[token] = dict(criteria)
    while len(kept) > KEEP:
        kept.pop(next(iter(kept)))
    # A new dict, assigned: a session notices an assignment, not a change inside a value it holds.
    store[key] = kept
    return token


def recall(store: Mapping[str, Any], token: str, key: str = SESSION_KEY) -> dict[str, Any] | None:
    """The criteria kept under `token`, or None when it is unknown or has been dropped."""
    saved = (store.get(key) or {}).get(token)
    return dict(saved) if isinstance(saved, dict) else None
