"""The kind of a call recording read from its bytes, and its duration (careloop/followup/audio.py)."""

import io
import wave
from pathlib import Path

import pytest

from careloop.followup import audio
from careloop.followup.audio import AMR_NB_FRAME_BYTES, AMR_WB_FRAME_BYTES, AudioRefused

DATA = Path(__file__).parent / "data"


def wav_bytes(seconds: float, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x00" * int(seconds * rate))
    return buffer.getvalue()


def amr_bytes(frame_types: list[int], wide: bool = False) -> bytes:
    """The RFC 4867 storage format: the magic line, then per frame its header byte (FT in bits 3-6, the
    quality bit set) and the frame's speech bits (zeros)."""
    sizes = AMR_WB_FRAME_BYTES if wide else AMR_NB_FRAME_BYTES
    frames = b"".join(bytes([(ft << 3) | 0b100]) + bytes(sizes[ft] - 1) for ft in frame_types)
    return (audio.AMR_WB_MAGIC if wide else audio.AMR_NB_MAGIC) + frames


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"ID3\x04\x00\x00\x00\x00\x00\x00", "mp3"),
        (bytes([0xFF, 0xFB, 0x90, 0x64]), "mp3"),  # MPEG-1 Layer III, 128 kbit/s, 44.1 kHz
        (bytes([0xFF, 0xF3, 0x14, 0xC4]), "mp3"),  # MPEG-2 Layer III
        (bytes([0xFF, 0xE3, 0x18, 0xC4]), "mp3"),  # MPEG-2.5 Layer III (8 kHz phone recordings)
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "wav"),
        (b"\x00\x00\x00\x18ftypM4A \x00\x00\x02\x00isomiso2", "m4a"),
        (b"\x00\x00\x00\x1cftypmp42\x00\x00\x00\x00mp41isom", "m4a"),
        (b"\x00\x00\x00\x14ftypXXXX\x00\x00\x00\x00isom", "m4a"),  # compatible brand only
        (b"#!AMR\n\x3c", "amr"),
        (b"#!AMR-WB\n\x44", "amr-wb"),
    ],
)
def test_kind_is_read_from_the_first_bytes(head, kind):
    assert audio.detect_kind(head).name == kind


@pytest.mark.parametrize(
    ("head", "code"),
    [
        (b"", "empty"),
        (b"%PDF-1.7\n", "not_audio"),
        (b"PK\x03\x04", "not_audio"),  # a zip (or .docx) renamed .mp3
        (b"RIFF\x24\x00\x00\x00AVI LIST", "not_audio"),
        (b"\x00\x00\x00\x18ftypqt  \x00\x00\x02\x00qt  ", "not_audio"),  # a QuickTime film
        (bytes([0xFF, 0xF1, 0x50, 0x80]), "not_audio"),  # ADTS AAC: sync bits but layer 00
        (bytes([0xFF, 0xFB, 0xF0, 0x64]), "not_audio"),  # bitrate index 1111 is invalid
        (bytes([0xFF, 0xFB, 0x9C, 0x64]), "not_audio"),  # sample-rate index 11 is reserved
        (bytes([0xFF, 0xEB, 0x90, 0x64]), "not_audio"),  # MPEG version 01 is reserved
        (b"#!AMR_MC1.0\n", "not_audio"),  # multi-channel AMR: not taken
        (b"hello, this is text", "not_audio"),
    ],
)
def test_anything_else_is_refused_with_a_reason(head, code):
    with pytest.raises(AudioRefused) as refused:
        audio.detect_kind(head)
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("frame_types", "wide", "seconds"),
    [
        ([7] * 50, False, 1.0),  # 12.2 kbit/s, 32 bytes a frame
        ([0] * 25 + [8] * 25, False, 1.0),  # 4.75 kbit/s speech, then SID (comfort noise)
        ([15] * 10, False, 0.2),  # NO_DATA frames still stand for 20 ms each
        (list(range(16)) * 5, False, 1.6),  # every frame type, NB
        ([2] * 150, True, 3.0),  # 12.65 kbit/s AMR-WB, 33 bytes a frame
        (list(range(16)) * 5, True, 1.6),  # every frame type, WB
        ([], False, 0.0),
    ],
)
def test_amr_duration_counts_twenty_millisecond_frames(frame_types, wide, seconds):
    data = amr_bytes(frame_types, wide)
    kind = audio.AMR_WB if wide else audio.AMR_NB
    assert audio.amr_duration(io.BytesIO(data), kind) == pytest.approx(seconds)
    # Frames that straddle the read chunks are counted once.
    assert audio.amr_duration(io.BytesIO(data), kind, chunk_size=7) == pytest.approx(seconds)


def test_amr_last_frame_cut_short_is_not_counted():
    data = amr_bytes([7] * 10)[:-5]
    assert audio.amr_duration(io.BytesIO(data), audio.AMR_NB) == pytest.approx(0.18)


def test_amr_with_a_bad_frame_header_is_refused_with_its_offset():
    data = amr_bytes([7] * 3) + b"\xff" + bytes(40)
    with pytest.raises(AudioRefused, match=f"byte {len(data) - 41}") as refused:
        audio.amr_duration(io.BytesIO(data), audio.AMR_NB, chunk_size=10)
    assert refused.value.code == "unreadable"


@pytest.mark.parametrize(
    ("data", "kind", "low", "high"),
    [
        (wav_bytes(2.5), "wav", 2.5, 2.5),
        (wav_bytes(0.25, rate=16000), "wav", 0.25, 0.25),
        (amr_bytes([7] * 250), "amr", 5.0, 5.0),
        (amr_bytes([8] * 3, wide=True), "amr-wb", 0.06, 0.06),
        ((DATA / "tone-0.3s.mp3").read_bytes(), "mp3", 0.3, 0.6),  # encoder padding adds frames
        ((DATA / "tone-0.3s.m4a").read_bytes(), "m4a", 0.3, 0.5),
    ],
)
def test_read_audio_gives_kind_and_duration(data, kind, low, high):
    stream = io.BytesIO(data)
    info = audio.read_audio(stream)
    assert info.kind.name == kind
    assert low <= info.duration_seconds <= high
    assert stream.tell() == 0  # ready to be stored


@pytest.mark.parametrize(
    "data",
    [
        b"RIFF\x24\x00\x00\x00WAVEjunk",  # a WAV header with no format chunk
        b"ID3\x04\x00\x00\x00\x00\x00\x00",  # an ID3 tag and no audio after it
        audio.AMR_NB_MAGIC,  # no frames
        wav_bytes(0),
    ],
)
def test_files_that_look_like_audio_but_hold_none_are_refused(data):
    with pytest.raises(AudioRefused) as refused:
        audio.read_audio(io.BytesIO(data))
    assert refused.value.code == "unreadable"


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(None, "—"), (0, "0:00"), (7.4, "0:07"), (59.6, "1:00"), (750, "12:30"), (3723, "1:02:03")],
)
def test_durations_show_as_a_player_does(seconds, shown):
    assert audio.clock_time(seconds) == shown
