"""MSH -> Header: what a message is, who sent it, and what an ACK must echo back."""

from dataclasses import dataclass

from careloop.observations.importing.parsed import Problem, because
from careloop.observations.sources.hl7v2.segments import Delimiters, unescape


@dataclass(frozen=True)
class Header:
    """What an ACK needs from MSH, raw (still escaped) so it can be echoed back as sent."""

    delimiters: Delimiters
    sending_application: str
    sending_facility: str
    receiving_application: str
    receiving_facility: str
    sent_at: str  # MSH-7
    message_type: str  # MSH-9.1, e.g. "ORU"
    trigger: str  # MSH-9.2, e.g. "R01"
    control_id: str  # MSH-10
    processing_id: str  # MSH-11
    version: str  # MSH-12
    charset: str  # MSH-18

    @property
    def source_system(self) -> str:
        """MSH-4 sending facility, else MSH-3 sending application (first component, unescaped)."""
        for raw in (self.sending_facility, self.sending_application):
            name = unescape(raw.split(self.delimiters.component)[0], self.delimiters).strip()
            if name:
                return name
        return ""


class HeaderError(ValueError):
    def __init__(self, problem: Problem):
        super().__init__(problem.reason)
        self.problem = problem


def read_header(text: str) -> Header:
    """MSH -> Header. Raises HeaderError when there is no readable MSH (the message gets AR)."""
    if not text.startswith("MSH"):
        raise HeaderError(
            Problem(
                "", "MSH", text[:3], because("the message does not start with an MSH segment"), "malformed"
            )
        )
    end = text.find("\r")
    line = text[: end if end >= 0 else len(text)]
    if len(line) < 8:
        raise HeaderError(
            Problem("", "MSH-2", line[3:], because("MSH is too short to carry its delimiters"), "malformed")
        )
    separator = line[3]
    fields = line.split(separator)
    chars = fields[1]
    if len(chars) < 4 or separator in chars or len(set(chars[:4])) < 4 or any(c.isalnum() for c in chars):
        raise HeaderError(
            Problem(
                "", "MSH-2", chars, because("encoding characters must be 4 distinct symbols"), "malformed"
            )
        )
    d = Delimiters(separator, chars[0], chars[1], chars[2], chars[3])
    fields.insert(0, "MSH")  # so that fields[n] is MSH-n
    fields[1] = separator

    def get(n: int) -> str:
        return fields[n] if n < len(fields) else ""

    message_type = get(9).split(d.component)
    return Header(
        delimiters=d,
        sending_application=get(3),
        sending_facility=get(4),
        receiving_application=get(5),
        receiving_facility=get(6),
        sent_at=get(7).split(d.component)[0],
        message_type=message_type[0].strip().upper(),
        trigger=(message_type[1] if len(message_type) > 1 else "").strip().upper(),
        control_id=unescape(get(10), d).strip(),
        processing_id=get(11),
        version=get(12).split(d.component)[0].strip(),
        charset=get(18).split(d.repetition)[0].strip(),
    )
