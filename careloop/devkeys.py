"""Per-machine development keys, made on first use and kept under var/ (never in the repository)."""

import base64
import json
import os
import secrets
from pathlib import Path
from typing import Any


def development_keys(path: Path) -> dict[str, Any]:
    if path.exists():
        stored: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return stored
    keys: dict[str, Any] = {
        "secret_key": secrets.token_urlsafe(50),
        "field_keys": [base64.urlsafe_b64encode(os.urandom(32)).decode()],
        "index_key": secrets.token_urlsafe(32),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(keys, handle)
    return keys
