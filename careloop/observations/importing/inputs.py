"""What an import reads: a file, one HL7 v2 message, or records made in-process.

Each input says which ImportBatch kind and origin it is and how it is read into ParseResult chunks;
`actions.do_import` runs any of them the same way.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from django.conf import settings

from careloop.observations.importing.parsed import ParseResult, PatientRef
from careloop.observations.sources import formats

# The source system of a file whose sender is not named: the same for every file, whatever its name,
# so that the same results in two files are one row (a result's identity is what it means).
FILES = "file"


@dataclass(frozen=True)
class FileInput:
    """A file of results (FHIR, HL7 v2, CSV, Excel), told by its name; `origin` is "command" or "upload"."""

    data: bytes
    filename: str
    origin: str
    source_system: str = ""
    mapping: Mapping[str, str] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return formats.kind_for(self.filename)

    @property
    def label(self) -> str:
        return self.filename

    def chunks(self, organization_id: int) -> Iterator[ParseResult]:
        return formats.read_chunks(
            self.data,
            self.filename,
            self.source_system.strip() or FILES,
            dict(self.mapping),
            organization_id=organization_id,
            limits=settings.IMPORT_LIMITS,
        )


@dataclass(frozen=True)
class MessageInput:
    """One HL7 v2 message from the MLLP listener, parsed already: its ACK reports what the import refused."""

    parsed: ParseResult
    kind: str = "hl7v2"
    origin: str = "mllp"
    label: str = ""

    def chunks(self, organization_id: int) -> Iterator[ParseResult]:
        yield self.parsed


@dataclass(frozen=True)
class RecordsInput:
    """Records made in-process: a parked result filed under its patient ("match"), the demo's health checks
    ("demo"). `matched`: refs of the records known to be these patients, whatever their identifiers say
    (staff chose the patient)."""

    kind: str
    origin: str
    records: Callable[[], Iterable[ParseResult]]
    label: str = ""
    matched: Mapping[PatientRef, int] = field(default_factory=dict)

    def chunks(self, organization_id: int) -> Iterator[ParseResult]:
        yield from self.records()


ImportInput = FileInput | MessageInput | RecordsInput
