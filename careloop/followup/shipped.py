"""The protocols CareLoop ships (careloop/followup/protocols/*.json), each with its sources cited.

A file holds the protocol's key, its names, whether it is switched on when installed (`shipped_status`:
"active", or "draft" for a template whose sources are practice or low confidence), and the definition.
"""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from careloop.followup.protocol_reading import read_protocol

FOLDER = Path(__file__).parent / "protocols"
SHIPPED = (
    "post-discharge",
    "post-discharge-chronic",
    "hypertension",
    "diabetes",
    "older-adult-annual-check",
    "post-surgery",
)


@dataclass(frozen=True)
class ShippedProtocol:
    key: str
    name_zh: str
    name_en: str
    status: str
    definition: dict[str, Any]


@cache
def shipped_protocol(key: str) -> ShippedProtocol:
    data = json.loads((FOLDER / f"{key}.json").read_text(encoding="utf-8"))
    read_protocol(data["definition"])  # a shipped file that does not read is a bug: fail at once
    status = data["shipped_status"]
    if status not in ("active", "draft"):
        raise ValueError(f"{key}: shipped_status must be active or draft")
    return ShippedProtocol(key, data["name"]["zh"], data["name"]["en"], status, data["definition"])
