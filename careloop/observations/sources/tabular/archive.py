"""An .xlsx is a zip archive: what it may unpack to, checked before openpyxl opens it.

openpyxl trusts the archive: zipfile lists every part at once (200,000 empty parts cost 250 MB before
anything is read), the shared strings are held in memory whole, and XML is parsed with whatever DTD a
part declares (entities of entities are how 2 KB of XML become gigabytes: "billion laughs"; Python's
expat stops the worst of them, openpyxl then fails with an error nobody can act on). So, first:
- the number of parts, from the archive's end record, before zipfile reads the directory it points to;
- each part's and all parts' uncompressed size, and the ratio of a big part's uncompressed size to its
  compressed one, from the directory. zipfile stops inflating a part at the size it declares (and then
  fails its CRC check), so no part can unpack to more than the size checked here;
- that no part declares a DTD: the first bytes of each part are parsed, as openpyxl would parse them,
  up to its first element.
Pure: no Django import.
"""

import io
import struct
import zipfile
from collections.abc import Callable
from typing import IO
from xml.parsers import expat

from careloop.observations.importing.limits import (
    RATIO_GRACE_BYTES,
    TOO_LARGE,
    ImportLimits,
    count,
    size_text,
)
from careloop.observations.importing.parsed import Reason, because

_END = b"PK\x05\x06"  # end of central directory record: 22 bytes and a comment of up to 64 KB
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_END = b"PK\x06\x06"
# A directory entry is 46 bytes and a name (an .xlsx part's name is well under 100 characters).
_DIRECTORY_BYTES_PER_PART = 1024
_PROLOG_PIECE = 64 * 1024


def declared_directory(data: bytes) -> tuple[int, int] | None:
    """(parts, directory size in bytes) as the end record says, or None where there is none.

    The end record is found as zipfile finds it: the last signature within the last 64 KB and 22 bytes.
    """
    start = data.rfind(_END, max(0, len(data) - 22 - 65_535))
    if start < 0 or start + 22 > len(data):
        return None
    parts, size = struct.unpack_from("<HI", data, start + 10)
    if parts != 0xFFFF and size != 0xFFFFFFFF:
        return parts, size
    locator = start - 20
    if locator < 0 or data[locator : locator + 4] != _ZIP64_LOCATOR:
        return parts, size
    (end,) = struct.unpack_from("<Q", data, locator + 8)
    if end + 56 > len(data) or data[end : end + 4] != _ZIP64_END:
        return None
    parts, size = struct.unpack_from("<QQ", data, end + 32)
    return parts, size


Refusal = tuple[Reason, str]  # why, and the problem's kind ("too_large" or "malformed")


def _too_large(template: str, **params: object) -> Refusal:
    return because(template, **params), TOO_LARGE


def _too_many_parts(parts: int, limits: ImportLimits) -> Refusal:
    return _too_large(
        "The workbook has %(count)s parts; an .xlsx may have at most %(limit)s. Save it again as .xlsx.",
        count=count(parts),
        limit=count(limits.parts),
    )


def _size_refusal(archive: zipfile.ZipFile, limits: ImportLimits) -> Refusal | None:
    total = 0
    for info in archive.infolist():
        size, packed = info.file_size, max(info.compress_size, 1)
        if size > limits.part_bytes:
            return _too_large(
                "The workbook's part %(part)s unpacks to %(size)s; a part may unpack to at most %(limit)s. "
                "Split the workbook into smaller files.",
                part=info.filename,
                size=size_text(size),
                limit=size_text(limits.part_bytes),
            )
        if size > RATIO_GRACE_BYTES and size > limits.ratio * packed:
            return _too_large(
                "The workbook's part %(part)s would unpack from %(packed)s to %(size)s (%(ratio)s to 1): "
                "it looks like a decompression bomb. Parts compressed more than %(limit)s to 1 are refused.",
                part=info.filename,
                packed=size_text(packed),
                size=size_text(size),
                ratio=count(size // packed),
                limit=count(limits.ratio),
            )
        total += size
    if total > limits.unpacked_bytes:
        return _too_large(
            "The workbook unpacks to %(size)s; at most %(limit)s is read. "
            "Split it into smaller files, or save it as CSV.",
            size=size_text(total),
            limit=size_text(limits.unpacked_bytes),
        )
    return None


class _Found(Exception):
    """Stops the parse at the first thing it was looking for."""

    def __init__(self, dtd: bool):
        self.dtd = dtd


def _raise(dtd: bool) -> Callable[..., None]:
    def handler(*_args: object) -> None:
        raise _Found(dtd)

    return handler


def declares_dtd(part: IO[bytes]) -> bool:
    """Whether an XML document declares a DTD before its first element (anything not XML: no).

    Parsed with expat, as openpyxl's ElementTree parses it, so a declaration in UTF-16 or after a long
    comment is seen as that parser would see it.
    """
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _raise(True)
    parser.StartElementHandler = _raise(False)
    try:
        while piece := part.read(_PROLOG_PIECE):
            parser.Parse(piece, False)
        parser.Parse(b"", True)
    except _Found as found:
        return found.dtd
    except expat.ExpatError:
        return False
    return False


def archive_refusal(data: bytes, limits: ImportLimits) -> Refusal | None:
    """Why a workbook is refused before it is opened (too big unpacked, too many parts, a DTD), or None.

    An archive zipfile cannot read at all is left to the workbook reader, which says so in its words.
    """
    directory = declared_directory(data)
    if directory is not None:
        parts, size = directory
        if parts > limits.parts or size > limits.parts * _DIRECTORY_BYTES_PER_PART:
            return _too_many_parts(max(parts, size // _DIRECTORY_BYTES_PER_PART), limits)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if len(archive.infolist()) > limits.parts:
                return _too_many_parts(len(archive.infolist()), limits)
            refusal = _size_refusal(archive, limits)
            if refusal is not None:
                return refusal
            for info in archive.infolist():
                with archive.open(info) as part:
                    if declares_dtd(part):
                        reason = because(
                            "The workbook's part %(part)s declares an XML document type (DTD), which Excel "
                            "never writes and which can hide a decompression bomb; save the file again as "
                            ".xlsx.",
                            part=info.filename,
                        )
                        return reason, "malformed"
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError):
        return None  # encrypted, an unknown compression, a broken part: the reader says it cannot open it
    return None
