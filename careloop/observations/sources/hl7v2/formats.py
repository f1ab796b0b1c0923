"""HL7 v2's format: a file of one or more messages (the MLLP listener reads messages itself, mllp.py)."""

from collections.abc import Iterator

from careloop.observations.importing.limits import hl7_refusal
from careloop.observations.importing.parsed import ParseResult
from careloop.observations.sources import SourceFile, SourceFormat
from careloop.observations.sources.hl7v2.messages import parse_file


def read_messages(file: SourceFile) -> Iterator[ParseResult]:
    """Every message of the file. No key needed: the ids a message gives its records are the order and
    visit numbers the sender assigned (OBR-3/OBR-2, PV1-19), never derived from PID."""
    yield parse_file(file.data)


HL7V2 = SourceFormat("hl7v2", (".hl7", ".txt"), read_messages, hl7_refusal)
FORMATS = (HL7V2,)
