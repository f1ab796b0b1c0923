"""Per-machine development keys, made on first use and kept under var/ (never in the repository)."""

import base64
import json
import os
import secrets
from pathlib import Path


def development_keys(path: Path) -> dict:
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    keys = {
        "secret_key": secrets.token_urlsafe(50),
        "field_keys": [base64.urlsafe_b64encode(os.urandom(32)).decode()],
        "index_key": secrets.token_urlsafe(32),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(keys, handle)
    return keys
