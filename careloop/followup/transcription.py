"""Speech-to-text for call recordings, behind one interface chosen by a setting.

`TRANSCRIBER` (env CARELOOP_TRANSCRIBER) is the dotted path of a class with the `Transcriber` interface,
made with no arguments (it reads its own settings: endpoint, credentials). Empty: no transcription, and
the recordings show no "Transcribe" button. No implementation ships: a clinic plugs in the service it has
a data-processing agreement with (a local Whisper server, a cloud ASR), since the audio holds health data.
"""

from functools import cache
from pathlib import Path
from typing import Protocol, runtime_checkable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string


@runtime_checkable
class Transcriber(Protocol):
    def transcribe(self, path: Path, media_type: str, language: str) -> str:
        """The words spoken in the recording at `path` (a local file of `media_type`, e.g. audio/amr),
        in `language` (a BCP 47 tag such as zh-Hans). Raises on failure; the task records it."""
        ...


@cache
def _load(dotted_path: str) -> Transcriber:
    try:
        made = import_string(dotted_path)()
    except ImportError as error:
        raise ImproperlyConfigured(
            f"CARELOOP_TRANSCRIBER={dotted_path!r} cannot be imported: {error}"
        ) from None
    if not isinstance(made, Transcriber):
        raise ImproperlyConfigured(
            f"CARELOOP_TRANSCRIBER={dotted_path!r} has no transcribe(path, media_type, language)"
        )
    return made


def configured_transcriber() -> Transcriber | None:
    """The installation's transcriber, or None when none is configured."""
    dotted_path: str = settings.TRANSCRIBER
    return _load(dotted_path) if dotted_path else None
