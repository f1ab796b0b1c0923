"""How much one import may read and store, and the refusals that say which limit a file passed.

A file past a limit is refused whole, with one "too_large" problem that names the limit and the numbers,
before (or, for rows, as soon as) it costs the worker more than the limit allows: an 18 KB workbook can
hold a billion empty rows, and a 2 MB one two million bad rows. The defaults fit the largest exports we
have seen (a health-check centre's year, a LIS's nightly HL7 batch) and keep the worker near 1 GB at
worst; `settings.IMPORT_LIMITS` (CARELOOP_IMPORT_MAX_*, docs/deploy.md) changes them.
Pure: no Django import.
"""

import io
import itertools
from dataclasses import dataclass

from careloop.observations.importing.parsed import Problem, Reason, because

MB = 1024 * 1024
TOO_LARGE = "too_large"


@dataclass(frozen=True)
class ImportLimits:
    rows: int = 200_000  # rows of a CSV or Excel sheet (empty ones too), segments of an HL7 v2 file
    results: int = 1_000_000  # results and refusals of one CSV or Excel file (wide: one per indicator cell)
    lines: int = 2_000_000  # lines of a FHIR NDJSON file (read in chunks, so it may be longer)
    unpacked_bytes: int = 512 * MB  # an .xlsx's parts together, uncompressed
    part_bytes: int = 256 * MB  # any one part of an .xlsx, uncompressed (shared strings are held whole)
    ratio: int = 100  # uncompressed / compressed size of a part over RATIO_GRACE_BYTES
    parts: int = 1_000  # parts in an .xlsx (every one costs memory before any is read)
    bundle_bytes: int = 50 * MB  # a FHIR Bundle (.json): parsed whole, into about ten times its size
    stored_problems: int = 10_000  # problem rows kept per import; those past it are counted by kind


DEFAULT_LIMITS = ImportLimits()

# Small parts compress far better than big ones (a style sheet of repeated entries); the ratio is only
# a sign of a bomb where the part is big enough to hurt.
RATIO_GRACE_BYTES = 1 * MB
# Structural guards, not settings: no export comes near them, and each bounds the work of one row.
MAX_COLUMNS = 1_000  # columns read from a sheet; cells further right are ignored, a header there refused
MAX_CSV_LINE_CHARACTERS = 1 * MB  # one physical CSV line (50 MB of commas would be 50 M fields)
MAX_NDJSON_LINE_BYTES = 16 * MB  # one NDJSON resource (an embedded PDF is a few MB)


def count(number: int) -> str:
    """A count as a clerk reads it: 1,000,000."""
    return f"{number:,}"


def size_text(size: int) -> str:
    """A size as a clerk reads it: 18 KB, 2.5 MB, 3,072 MB."""
    if size < MB:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / MB:.1f} MB" if size < 10 * MB else f"{size / MB:,.0f} MB"


def too_large(reason: Reason) -> Problem:
    """The one problem of a file refused for its size: the pipeline then imports nothing of it."""
    return Problem("file", "", "", reason, TOO_LARGE)


def line_count(data: bytes) -> int:
    """Lines in `data` ended by LF, CRLF or CR (a last line without an end counts too), at C speed."""
    if b"\r" not in data:  # the usual file: one scan for the line ends, not three
        breaks = data.count(b"\n")
    else:
        breaks = data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")
    return breaks + (1 if data and not data.endswith((b"\n", b"\r")) else 0)


def ndjson_refusal(data: bytes, limits: ImportLimits) -> Reason | None:
    """Why an NDJSON file is refused (too many lines, or a line too long to parse), or None."""
    # The lines ended by LF (the last one maybe not), no more than one past the limit.
    lengths = [len(line) for line in itertools.islice(io.BytesIO(data), limits.lines + 1)]
    lines = len(lengths) if b"\r" not in data and len(lengths) <= limits.lines else line_count(data)
    if lines > limits.lines:
        return because(
            "The file has %(count)s lines; one import reads at most %(limit)s. "
            "Split it into smaller files and import each.",
            count=count(lines),
            limit=count(limits.lines),
        )
    if max(lengths, default=0) > MAX_NDJSON_LINE_BYTES:
        number, size = next((n, size) for n, size in enumerate(lengths, 1) if size > MAX_NDJSON_LINE_BYTES)
        return because(
            "Line %(line)s is %(size)s long; a line (one resource) may be at most %(limit)s.",
            line=number,
            size=size_text(size),
            limit=size_text(MAX_NDJSON_LINE_BYTES),
        )
    return None


def hl7_refusal(data: bytes, limits: ImportLimits) -> Reason | None:
    """Why an HL7 v2 file is refused (too many segments: it is read whole), or None."""
    segments = line_count(data)
    if segments > limits.rows:
        return because(
            "The file has %(count)s segments; one import reads at most %(limit)s. "
            "Split it into smaller files and import each.",
            count=count(segments),
            limit=count(limits.rows),
        )
    return None


def bundle_refusal(data: bytes, limits: ImportLimits) -> Reason | None:
    """Why a FHIR Bundle is refused (too big to parse whole), or None."""
    if len(data) > limits.bundle_bytes:
        return because(
            "The FHIR Bundle is %(size)s; a Bundle is read whole and may be at most %(limit)s. "
            "Send larger exports as NDJSON (one resource per line).",
            size=size_text(len(data)),
            limit=size_text(limits.bundle_bytes),
        )
    return None


def rows_refusal(limits: ImportLimits) -> Reason:
    return because(
        "The sheet has more than %(limit)s rows (empty rows count too); one import reads at most %(limit)s. "
        "Delete the empty rows at its end, or split it into smaller files.",
        limit=count(limits.rows),
    )


def results_refusal(limits: ImportLimits) -> Reason:
    return because(
        "The file holds more than %(limit)s results; one import reads at most %(limit)s. "
        "Split it into smaller files and import each.",
        limit=count(limits.results),
    )
