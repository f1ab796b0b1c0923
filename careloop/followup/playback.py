"""A copy of an AMR call recording that browsers play (they play mp3 everywhere and AMR nowhere), made
by ffmpeg (the Debian package, scripts/system-packages.sh).

ffmpeg runs with the input's demuxer forced (no probing of other formats), no stdin, and a time limit;
the caller bounds the input's size. Pure: no Django import.
"""

import subprocess
from pathlib import Path

PLAYBACK_MEDIA_TYPE = "audio/mpeg"
PLAYBACK_EXTENSION = ".mp3"
# ffmpeg demuxer for each media type a playable copy is made of.
DEMUXERS = {"audio/amr": "amr", "audio/amr-wb": "amr"}


class ConversionFailed(Exception):
    """ffmpeg could not make the copy; the message says why (for the audit trail, not for the page)."""


def convert_for_playback(source: Path, target: Path, media_type: str, timeout_seconds: float) -> None:
    """Write an mp3 of the recording at `source` (of `media_type`) to `target`."""
    demuxer = DEMUXERS.get(media_type)
    if demuxer is None:
        raise ConversionFailed(f"no playable copy is made of {media_type}")
    command = [
        "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
        "-f", demuxer, "-i", str(source),
        "-vn", "-ac", "1", "-codec:a", "libmp3lame", "-b:a", "32k", "-f", "mp3", str(target),
    ]  # fmt: skip
    try:
        finished = subprocess.run(command, capture_output=True, timeout=timeout_seconds, check=False)  # noqa: S603
    except FileNotFoundError:
        raise ConversionFailed("ffmpeg is not installed (scripts/system-packages.sh)") from None
    except subprocess.TimeoutExpired:
        raise ConversionFailed(f"ffmpeg took more than {timeout_seconds:g} s") from None
    if finished.returncode != 0 or not target.exists() or target.stat().st_size == 0:
        said = finished.stderr.decode("utf-8", "replace").strip()[-300:]
        raise ConversionFailed(f"ffmpeg exited with {finished.returncode}: {said}")
