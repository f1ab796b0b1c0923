"""Per-machine development keys, made on first use and kept under var/ (never in the repository)."""

import base64
import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Each key a development machine needs, and how to make it. A key added here later is made and added to
# an existing file on its next use; the keys already there are kept.
MAKERS: dict[str, Callable[[], Any]] = {
    "secret_key": lambda: secrets.token_urlsafe(50),
    "field_keys": lambda: [base64.urlsafe_b64encode(os.urandom(32)).decode()],
    "index_key": lambda: secrets.token_urlsafe(32),
    "audit_keys": lambda: f"dev1:{secrets.token_urlsafe(32)}",
    "audit_signing_key": lambda: base64.b64encode(os.urandom(32)).decode(),
}


def development_keys(path: Path) -> dict[str, Any]:
    stored: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    missing = [name for name in MAKERS if name not in stored]
    if not missing:
        return stored
    keys = {**stored, **{name: MAKERS[name]() for name in missing}}
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(keys, handle)
    if stored:
        os.replace(fresh, path)  # adds the new keys; the ones in use are kept as they were
        return keys
    try:
        os.link(fresh, path)  # first use: whichever process links first wins, the others read its keys
    except FileExistsError:
        return development_keys(path)
    finally:
        fresh.unlink()
    return keys
