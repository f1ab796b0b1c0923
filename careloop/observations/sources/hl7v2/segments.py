"""An HL7 v2 message's delimiters, escape sequences and segments, split only as far as a reader asks.

Plain splitting on the message's own delimiters (MSH-1, MSH-2) rather than python-hl7: the structure we
read is flat, and a reader splits only the fields it uses. Field positions follow HL7 v2.5.1 (chapter 2).
"""

import functools
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Delimiters:
    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"

    @property
    def encoding_characters(self) -> str:
        return self.component + self.repetition + self.escape + self.subcomponent


@functools.lru_cache(maxsize=8)
def _escape_pattern(escape: str) -> re.Pattern[str]:
    e = re.escape(escape)
    return re.compile(f"{e}([^{e}\r]*){e}")


def unescape(text: str, d: Delimiters) -> str:
    """Decode HL7 escape sequences (v2.5.1 section 2.7): \\F\\ \\S\\ \\T\\ \\R\\ \\E\\, \\.br\\ and \\Xhh\\;
    highlighting and character-set switches are dropped, anything else is kept as sent."""
    if d.escape not in text:
        return text
    table = {"F": d.field, "S": d.component, "T": d.subcomponent, "R": d.repetition, "E": d.escape}

    def replace(match: re.Match[str]) -> str:
        body = match.group(1)
        if body in table:
            return table[body]
        if body in (".br", ".sp"):
            return "\n"
        if body in ("H", "N") or body[:1] in ("C", "M") or (body[:1] == "." and len(body) <= 3):
            return ""
        if body[:1] == "X" and len(body) > 1 and len(body) % 2 == 1:
            try:
                return bytes.fromhex(body[1:]).decode("utf-8", errors="replace")
            except ValueError:
                return match.group(0)
        return match.group(0)

    return _escape_pattern(d.escape).sub(replace, text)


def escape(text: str, d: Delimiters) -> str:
    """Text -> an HL7 field value: delimiters escaped, line breaks as \\.br\\."""
    e = d.escape
    text = text.replace(e, f"{e}E{e}")
    for char, code in ((d.field, "F"), (d.component, "S"), (d.subcomponent, "T"), (d.repetition, "R")):
        text = text.replace(char, f"{e}{code}{e}")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", f"{e}.br{e}")


class Segment:
    """One segment's fields, split lazily; `field(n)` is the n-th field as raw text."""

    __slots__ = ("d", "fields", "name", "ordinal", "where")

    def __init__(self, fields: list[str], d: Delimiters, ordinal: int, message_where: str):
        self.fields = fields
        self.d = d
        self.name = fields[0]
        self.ordinal = ordinal
        self.where = f"{message_where} / {self.name} {ordinal}"

    def field(self, n: int) -> str:
        return self.fields[n] if n < len(self.fields) else ""

    def repetitions(self, n: int) -> list[str]:
        raw = self.field(n)
        return raw.split(self.d.repetition) if raw else []

    def components(self, n: int) -> "Parts":
        """Components of the first repetition of field n."""
        return Parts(self.field(n).split(self.d.repetition)[0], self.d)

    def text(self, n: int) -> str:
        """First component of the first repetition, unescaped and stripped."""
        raw = self.fields[n] if n < len(self.fields) else ""
        d = self.d
        if d.component in raw or d.repetition in raw or d.subcomponent in raw or d.escape in raw:
            return self.components(n).get(1)
        return raw.strip()  # the common case, without splitting


class Parts:
    """The components of one field repetition; `get(n)` is component n (1-based), first
    subcomponent, unescaped and stripped."""

    __slots__ = ("d", "raw")

    def __init__(self, raw: str, d: Delimiters):
        self.raw = raw.split(d.component)
        self.d = d

    def get(self, n: int) -> str:
        if n > len(self.raw):
            return ""
        value = self.raw[n - 1].split(self.d.subcomponent)[0]
        return unescape(value, self.d).strip() if self.d.escape in value else value.strip()

    def subcomponents(self, n: int) -> list[str]:
        if n > len(self.raw):
            return []
        return [unescape(sub, self.d).strip() for sub in self.raw[n - 1].split(self.d.subcomponent)]

    def joined(self, count: int) -> str:
        """The first `count` components run together (SN: "<" "0.1" -> "<0.1")."""
        return "".join(self.get(n) for n in range(1, count + 1))


def split_segments(text: str, d: Delimiters, where: str) -> list[Segment]:
    counts: dict[str, int] = {}
    segments = []
    for line in text.split("\r"):
        if not line.strip():
            continue
        fields = line.split(d.field)
        if fields[0] == "MSH":
            fields.insert(1, d.field)
        name = fields[0]
        counts[name] = counts.get(name, 0) + 1
        segments.append(Segment(fields, d, counts[name], where))
    return segments
