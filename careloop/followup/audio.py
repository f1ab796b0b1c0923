"""What kind of audio a call recording is, read from its bytes, and how long it lasts.

The type comes from the content (magic bytes), never from the file's name or the browser's content type:
a phone's export names an AMR file `.mp3` as often as not, and a name is whatever the sender typed.

- mp3: an ID3v2 tag (`ID3`) or an MPEG-1/2/2.5 Layer III frame header (ISO/IEC 11172-3 §2.4.2.3: 11 sync
  bits, then version, layer, bitrate and sample-rate indexes that are not the reserved values).
- wav: a RIFF chunk of form type WAVE.
- m4a: an ISO base media file (ISO/IEC 14496-12 §4.3) whose `ftyp` box names an M4A or MP4 brand.
- amr: the storage format of RFC 4867 §5 (`#!AMR\\n` narrow-band, `#!AMR-WB\\n` wide-band).

Durations of mp3, wav and m4a are read by mutagen; AMR frames are counted here (mutagen does not read
AMR). Pure: no Django import.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from mutagen import MutagenError
from mutagen import mp3 as mutagen_mp3
from mutagen import mp4 as mutagen_mp4
from mutagen import wave as mutagen_wave

HEAD_BYTES = 64  # enough of the start of a file to tell every supported kind apart
AMR_NB_MAGIC = b"#!AMR\n"
AMR_WB_MAGIC = b"#!AMR-WB\n"
AMR_FRAME_SECONDS = 0.020  # RFC 4867 §5.3: every frame, speech or not, stands for 20 ms
M4A_BRANDS = frozenset({b"M4A ", b"M4B ", b"mp41", b"mp42", b"isom", b"iso2"})

# Bytes per stored frame (the one-byte frame header included) by frame type, RFC 4867 §5.3 with the
# class sizes of 3GPP TS 26.101 Table 1a (AMR) and TS 26.201 Table 1a (AMR-WB). Frame types without
# speech bits (NO_DATA, SPEECH_LOST, the reserved ones) are the header alone, as the RFC stores them.
AMR_NB_FRAME_BYTES = (13, 14, 16, 18, 20, 21, 27, 32, 6, 1, 1, 1, 1, 1, 1, 1)
AMR_WB_FRAME_BYTES = (18, 24, 33, 37, 41, 47, 51, 59, 61, 6, 1, 1, 1, 1, 1, 1)


class Seekable(Protocol):
    """A file open for reading in binary: an open file, an upload, a stored file, BytesIO."""

    def read(self, size: int = -1, /) -> bytes: ...
    def seek(self, offset: int, whence: int = 0, /) -> int: ...
    def tell(self) -> int: ...


@dataclass(frozen=True)
class AudioKind:
    name: str  # mp3, wav, m4a, amr, amr-wb
    media_type: str  # what the file is served as
    extension: str  # the stored file's suffix
    browser_plays: bool  # False: a playable copy is made (AMR)


MP3 = AudioKind("mp3", "audio/mpeg", ".mp3", True)
WAV = AudioKind("wav", "audio/wav", ".wav", True)
M4A = AudioKind("m4a", "audio/mp4", ".m4a", True)
AMR_NB = AudioKind("amr", "audio/amr", ".amr", False)
AMR_WB = AudioKind("amr-wb", "audio/amr-wb", ".awb", False)
KINDS = {kind.media_type: kind for kind in (MP3, WAV, M4A, AMR_NB, AMR_WB)}


class AudioRefused(ValueError):
    """The file is not a recording we take. `code` says why (the page words it), the message says where."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code  # empty, not_audio, unreadable


@dataclass(frozen=True)
class AudioInfo:
    kind: AudioKind
    duration_seconds: float


def _mpeg_layer3_header(head: bytes) -> bool:
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version = (head[1] >> 3) & 0b11  # 0b01 is reserved
    layer = (head[1] >> 1) & 0b11  # 0b01 is Layer III (0b00 reserved; ADTS AAC writes 0b00 here)
    bitrate = head[2] >> 4  # 0b1111 is invalid
    sample_rate = (head[2] >> 2) & 0b11  # 0b11 is reserved
    return version != 0b01 and layer == 0b01 and bitrate != 0b1111 and sample_rate != 0b11


def _m4a_brands(head: bytes) -> set[bytes]:
    if len(head) < 16 or head[4:8] != b"ftyp":
        return set()
    box_end = min(int.from_bytes(head[0:4], "big"), len(head))
    compatible = [head[i : i + 4] for i in range(16, box_end - 3, 4)]
    return {head[8:12], *compatible}


def detect_kind(head: bytes) -> AudioKind:
    """The kind of audio whose first bytes are `head` (at least HEAD_BYTES of them when the file is that
    long); AudioRefused when it is none we take."""
    if not head:
        raise AudioRefused("empty", "the file is empty")
    if head.startswith(AMR_NB_MAGIC):
        return AMR_NB
    if head.startswith(AMR_WB_MAGIC):
        return AMR_WB
    if head[0:4] == b"RIFF" and head[8:12] == b"WAVE":
        return WAV
    if _m4a_brands(head) & M4A_BRANDS:
        return M4A
    if head.startswith(b"ID3") or _mpeg_layer3_header(head):
        return MP3
    raise AudioRefused("not_audio", "not an mp3, wav, m4a or amr recording (read from the file's content)")


def amr_duration(stream: Seekable, kind: AudioKind, chunk_size: int = 1 << 20) -> float:
    """Seconds of the AMR stream after its magic header: frames counted by the frame type in each frame
    header (RFC 4867 §5.3), 20 ms each. A last frame cut short (a recording stopped mid-frame) is not
    counted; a header with its padding bits set is not AMR (AudioRefused)."""
    sizes = AMR_NB_FRAME_BYTES if kind is AMR_NB else AMR_WB_FRAME_BYTES
    start = len(AMR_NB_MAGIC if kind is AMR_NB else AMR_WB_MAGIC)
    stream.seek(start)
    frames, base, pending = 0, start, b""  # base: the file offset of pending's first byte
    while chunk := stream.read(chunk_size):
        data, position = pending + chunk, 0
        while position < len(data):
            header = data[position]
            if header & 0b1000_0011:  # P bits (RFC 4867 §5.3): zero in every valid frame header
                raise AudioRefused("unreadable", f"AMR frame header at byte {base + position} is not valid")
            size = sizes[(header >> 3) & 0b1111]
            if position + size > len(data):
                break
            frames += 1
            position += size
        base += position
        pending = data[position:]
    return frames * AMR_FRAME_SECONDS


def _mutagen_duration(stream: Seekable, kind: AudioKind) -> float:
    readers: dict[str, Callable[[Seekable], Any]] = {
        "mp3": mutagen_mp3.MP3,
        "wav": mutagen_wave.WAVE,
        "m4a": mutagen_mp4.MP4,
    }
    stream.seek(0)
    try:
        length = float(readers[kind.name](stream).info.length)
    except (MutagenError, ValueError, OSError) as error:
        raise AudioRefused("unreadable", f"the {kind.name} file could not be read: {error}") from None
    return length


def read_audio(stream: Seekable) -> AudioInfo:
    """The kind and duration of the recording in `stream` (seekable, read from its start)."""
    stream.seek(0)
    kind = detect_kind(stream.read(HEAD_BYTES))
    duration = _mutagen_duration(stream, kind) if kind.browser_plays else amr_duration(stream, kind)
    if duration <= 0:
        raise AudioRefused("unreadable", f"the {kind.name} file holds no audio")
    stream.seek(0)
    return AudioInfo(kind, round(duration, 3))


def clock_time(seconds: float | None) -> str:
    """A duration as a player shows it: 0:07, 12:30, 1:02:03; an em dash for none."""
    if seconds is None:
        return "—"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
