"""Bytes in, text out: where HL7 v2 messages start and end in a file, and their character set.

HL7 v2 ends each segment with a carriage return. Files saved on other systems often carry "\\n" or
"\\r\\n" instead; both are accepted and become "\\r". A file may hold several messages (each starts
with an MSH segment); batch envelope segments (FHS/BHS/BTS/FTS) and MLLP block characters left in
a capture are dropped.

The character set is named in MSH-18 (HL7 table 0211, first repetition). Hospital systems in China
send UTF-8 ("UNICODE UTF-8") or GB 18030 ("GB 18030-2000"; GBK and GB 2312 are subsets of it, so they
are read as GB 18030). Without MSH-18 the message is read as UTF-8; when that fails it is read as
GB 18030 and the `note` of the result says so. Pure: no Django import.
"""

import re
from dataclasses import dataclass

UTF8 = "utf-8"
GB18030 = "gb18030"

# HL7 table 0211 names (and common spellings seen in the field), upper-cased with spaces, "-" and
# "_" removed -> Python codec.
_CHARSETS = {
    "UNICODEUTF8": UTF8,
    "UTF8": UTF8,
    "ASCII": UTF8,  # ASCII is a subset of UTF-8
    "ISOIR6": UTF8,  # ISO 646, i.e. ASCII
    "GB180302000": GB18030,
    "GB180302005": GB18030,
    "GB18030": GB18030,
    "GBK": GB18030,
    "CP936": GB18030,
    "GB2312": GB18030,
    "GB231280": GB18030,
    "ISOIR58": GB18030,  # table 0211's name for GB 2312-80
    "8859/1": "latin-1",
}
_SPELLING = re.compile(r"[\s\-_]")
_BATCH_SEGMENTS = (b"FHS", b"BHS", b"BTS", b"FTS")
_LINE_BREAKS = re.compile(rb"\r\n|\n")


@dataclass(frozen=True)
class DecodedMessage:
    text: str  # segments separated by "\r"
    charset: str  # the Python codec the bytes were read with; use it for the ACK too
    note: str = ""  # set when the bytes were not in the declared (or default) character set


def codec_for(charset_name: str) -> str | None:
    """The Python codec for an MSH-18 value, or None when it is not one we read."""
    return _CHARSETS.get(_SPELLING.sub("", charset_name).upper())


def declared_charset(raw: bytes) -> str:
    """MSH-18 (first repetition) of a message's bytes ("" when there is none)."""
    if not raw.startswith(b"MSH") or len(raw) < 8:
        return ""
    end = raw.find(b"\r")
    first = raw[: end if end >= 0 else len(raw)]
    # Split the text, not the bytes: a GB 18030 character's second byte may be "|" (0x7C).
    for codec in (UTF8, GB18030):
        try:
            line = first.decode(codec)
            break
        except UnicodeDecodeError:
            continue
    else:
        line = first.decode("latin-1")
    fields = line.split(line[3])  # fields[n - 1] is MSH-n
    if len(fields) < 18:
        return ""
    repetition = fields[1][1:2] or "~"
    return fields[17].split(repetition)[0].strip()


def decode_message(raw: bytes) -> DecodedMessage:
    """One message's bytes -> text, in the character set MSH-18 names (UTF-8 when it names none)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    name = declared_charset(raw)
    codec = codec_for(name) if name else UTF8
    note = ""
    if codec is None:
        codec = UTF8
        note = f"MSH-18 names an unsupported character set ({name!r}); read as UTF-8"
    try:
        return DecodedMessage(raw.decode(codec), codec, note)
    except UnicodeDecodeError:
        pass
    said = f"MSH-18 says {name!r}" if name else "no MSH-18"
    for other in (GB18030, UTF8):
        if other == codec:
            continue
        try:
            text = raw.decode(other)
        except UnicodeDecodeError:
            continue
        return DecodedMessage(text, other, f"not valid {codec} ({said}); read as {other}")
    text = raw.decode(codec, errors="replace")
    return DecodedMessage(text, codec, f"not valid {codec} ({said}); undecodable bytes replaced with U+FFFD")


def split_messages(data: bytes) -> list[bytes]:
    """A file's (or capture's) bytes -> one bytes object per message, segments ended by "\\r".

    Anything before the first MSH is returned as a message of its own, so the parser can report
    it ("no MSH segment") instead of it vanishing.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    data = _LINE_BREAKS.sub(b"\r", data).replace(b"\x0b", b"\r").replace(b"\x1c", b"\r")
    messages: list[list[bytes]] = []
    current: list[bytes] | None = None
    for line in data.split(b"\r"):
        segment = line.lstrip(b" \t")
        if not segment.strip() or segment.startswith(_BATCH_SEGMENTS):
            continue
        if segment.startswith(b"MSH") or current is None:
            current = []
            messages.append(current)
        current.append(segment)
    return [b"\r".join(segments) + b"\r" for segments in messages]


def decode_file(data: bytes) -> list[DecodedMessage]:
    """Every message in a file, each decoded in its own character set."""
    return [decode_message(raw) for raw in split_messages(data)]


def encode(text: str, charset: str) -> bytes:
    """Text -> bytes in the codec a message came in (ACKs answer in the sender's character set)."""
    return text.encode(charset, errors="replace")
