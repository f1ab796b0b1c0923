"""Where signed audit checkpoints go (a directory, a syslog target) and how they are read back to verify.

Files: one per month (`checkpoints-2026-11.jsonl`), a line per checkpoint, opened for appending only.
Syslog: Python's SysLogHandler, facility `authpriv`, one message per checkpoint; the collector (rsyslog,
a WORM store) keeps them where the database's users cannot reach, and `careloop audit verify --checkpoints`
reads what it collected.
"""

import datetime
import logging
import logging.handlers
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.utils.translation import gettext_noop

from careloop.accounts import auditcheckpoint, auditkeys
from careloop.accounts.auditcheckpoint import Checkpoint

SYSLOG_TAG = "careloop-audit-checkpoint: "

_syslog: dict[str, logging.Logger] = {}


def checkpoint_file(directory: Path, at: datetime.datetime) -> Path:
    return directory / f"checkpoints-{at:%Y-%m}.jsonl"


def append_to_directory(directory: Path, line: str, at: datetime.datetime) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = checkpoint_file(directory, at)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, (line + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return path


def syslog_logger(target: str) -> logging.Logger:
    """A logger of its own that sends only to the syslog target (not to the console, not propagated)."""
    if target not in _syslog:
        address, kind = auditcheckpoint.parse_syslog_target(target)
        handler = logging.handlers.SysLogHandler(
            address=address, facility=logging.handlers.SysLogHandler.LOG_AUTHPRIV, socktype=kind
        )
        logger = logging.getLogger(f"careloop.audit.checkpoint.{len(_syslog)}")
        logger.propagate = False
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)
        _syslog[target] = logger
    return _syslog[target]


def export(checkpoint: Checkpoint, at: datetime.datetime) -> list[str]:
    """Write the checkpoint to every configured target; where it went, in words."""
    line = auditcheckpoint.to_line(checkpoint)
    places = []
    if settings.AUDIT_CHECKPOINT_DIR is not None:
        places.append(str(append_to_directory(settings.AUDIT_CHECKPOINT_DIR, line, at)))
    if settings.AUDIT_CHECKPOINT_SYSLOG:
        syslog_logger(settings.AUDIT_CHECKPOINT_SYSLOG).info("%s%s", SYSLOG_TAG, line)
        places.append(f"syslog {settings.AUDIT_CHECKPOINT_SYSLOG}")
    return places


PROBLEMS = {
    "unreadable": gettext_noop("%(where)s: not a checkpoint CareLoop can read"),
    "unknown_key": gettext_noop(
        "%(where)s: signed with key %(key)s, which is not configured (CARELOOP_AUDIT_CHECKPOINT_PUBLIC_KEYS)"
    ),
    "bad_signature": gettext_noop(
        "%(where)s: its signature does not hold (the checkpoint was altered or forged)"
    ),
}


@dataclass(frozen=True)
class CheckpointProblem:
    """A checkpoint line refused: a key of PROBLEMS and what completes its message."""

    kind: str
    params: dict[str, str]

    @property
    def text(self) -> str:
        return PROBLEMS[self.kind] % self.params


@dataclass
class CheckpointSet:
    """The checkpoints read for a verification, whether their signatures hold, and what was wrong."""

    sources: list[str] = field(default_factory=list)
    checkpoints: list[Checkpoint] = field(default_factory=list)
    problems: list[CheckpointProblem] = field(default_factory=list)
    other_installations: int = 0

    @property
    def newest(self) -> Checkpoint | None:
        return max(self.checkpoints, key=lambda checkpoint: checkpoint.at, default=None)


def default_sources() -> list[Path]:
    return [settings.AUDIT_CHECKPOINT_DIR] if settings.AUDIT_CHECKPOINT_DIR is not None else []


def read_checkpoints(paths: Iterable[Path]) -> CheckpointSet:
    """Every checkpoint line in the files (a directory: its *.jsonl files); lines that are not checkpoints
    (other syslog messages) are skipped, checkpoints whose signature does not hold are problems."""
    found = CheckpointSet()
    public_keys = auditkeys.public_keys()
    for path in paths:
        files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
        found.sources.append(str(path))
        for file in files:
            if not file.exists():
                continue
            with file.open(encoding="utf-8", errors="replace") as handle:
                for number, line in enumerate(handle, start=1):
                    if "careloop_audit_checkpoint" not in line:
                        continue
                    read_line(found, f"{file} line {number}", line, public_keys)
    return found


def read_line(found: CheckpointSet, where: str, line: str, public_keys: dict[str, Ed25519PublicKey]) -> None:
    try:
        checkpoint = auditcheckpoint.parse_line(line)
    except ValueError:
        found.problems.append(CheckpointProblem("unreadable", {"where": where}))
        return
    if checkpoint.installation != settings.AUDIT_INSTALLATION:
        found.other_installations += 1
    elif checkpoint.key_id not in public_keys:
        found.problems.append(CheckpointProblem("unknown_key", {"where": where, "key": checkpoint.key_id}))
    elif not auditcheckpoint.signature_holds(checkpoint, public_keys):
        found.problems.append(CheckpointProblem("bad_signature", {"where": where}))
    else:
        found.checkpoints.append(checkpoint)
